package engine

import (
	"testing"
	"unsafe"
)

// TestKernelConstsLayout pins the offsets the assembly kernels use for the
// fields of kernelConsts, poissonConsts and queue, and the Poisson table's
// size (kernel_amd64.h's TABLESHIFT).
func TestKernelConstsLayout(t *testing.T) {
	var c kernelConsts
	got := []uintptr{unsafe.Offsetof(c.now), unsafe.Offsetof(c.until), unsafe.Offsetof(c.zs),
		unsafe.Offsetof(c.es), unsafe.Offsetof(c.spill), unsafe.Offsetof(c.twoM32), unsafe.Sizeof(c.f[0]),
		unsafe.Offsetof(c.pois), unsafe.Offsetof(c.unit), unsafe.Offsetof(c.flushBelow), unsafe.Offsetof(c.terms),
		unsafe.Offsetof(c.adv), unsafe.Offsetof(c.mul), unsafe.Offsetof(c.shift),
		unsafe.Offsetof(c.es16), unsafe.Offsetof(c.low32), unsafe.Offsetof(c.one), unsafe.Offsetof(c.chainPairs)}
	want := []uintptr{288, 320, 352, 416, 448, 464, 32, 472, 600, 632, 640, 704, 712, 720, 728, 792, 800, 808}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("kernelConsts offsets %v, the kernels use %v", got, want)
		}
	}
	var q queue
	if unsafe.Offsetof(q.ex) != 96 || unsafe.Offsetof(q.in) != 120 || unsafe.Sizeof(q) != 144 {
		t.Fatalf("queue: ex at %d, in at %d, %d bytes; deliverWords uses 96, 120, 144", unsafe.Offsetof(q.ex), unsafe.Offsetof(q.in), unsafe.Sizeof(q))
	}
	if unsafe.Sizeof(poissonConsts{}) != 128 {
		t.Fatalf("poissonConsts is %d bytes; the kernels use 128", unsafe.Sizeof(poissonConsts{}))
	}
	if packedNeurons*4 != 524288 {
		t.Fatalf("a block of fixed-point sums is %d bytes; the two-step kernels use 524288", packedNeurons*4)
	}
	if 64-tableBits != 52 || 32-tableBits != 20 {
		t.Fatalf("the Poisson table has %d bits; the kernels index it with the top 12 of a half", tableBits)
	}
}

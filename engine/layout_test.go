package engine

import (
	"testing"
	"unsafe"
)

// TestKernelConstsLayout pins the offsets the assembly kernels use for the
// fields of kernelConsts and poissonConsts.
func TestKernelConstsLayout(t *testing.T) {
	var c kernelConsts
	got := []uintptr{unsafe.Offsetof(c.now), unsafe.Offsetof(c.until), unsafe.Offsetof(c.zs),
		unsafe.Offsetof(c.es), unsafe.Offsetof(c.spill), unsafe.Offsetof(c.twoM53), unsafe.Sizeof(c.f[0]),
		unsafe.Offsetof(c.pois)}
	want := []uintptr{288, 320, 352, 416, 448, 464, 32, 472}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("kernelConsts offsets %v, the kernels use %v", got, want)
		}
	}
	if unsafe.Sizeof(poissonConsts{}) != 192 {
		t.Fatalf("poissonConsts is %d bytes; the kernels use 192", unsafe.Sizeof(poissonConsts{}))
	}
}

// Copyright the microcircuit authors. SPDX-License-Identifier: GPL-2.0-or-later

#include "textflag.h"

// Offsets of the constants in kernelConsts (each replicated 4 times).
#define P22 0
#define P21EX 32
#define P21IN 64
#define P20 96
#define P11EX 128
#define P11IN 160
#define THETA 192
#define VRESET 224
#define REFSTEPS 256
#define ONE 288
#define I0 320

// func updateAVX2(v, iex, iin, ie, arrEx, arrIn, refr *float64, mask *uint8, n int, c *kernelConsts)
TEXT ·updateAVX2(SB), NOSPLIT, $0-80
	MOVQ v+0(FP), AX
	MOVQ iex+8(FP), BX
	MOVQ iin+16(FP), CX
	MOVQ ie+24(FP), DX
	MOVQ arrEx+32(FP), SI
	MOVQ arrIn+40(FP), DI
	MOVQ refr+48(FP), R8
	MOVQ mask+56(FP), R9
	MOVQ n+64(FP), R10
	MOVQ c+72(FP), R11
	XORQ R12, R12
	VXORPD Y6, Y6, Y6

loop:
	CMPQ R12, R10
	JGE  done

	// Membrane: vnew = ((v*P22 + iex*P21ex) + iin*P21in) + (ie + i0)*P20
	VMOVUPD (AX)(R12*8), Y0
	VMOVUPD (BX)(R12*8), Y1
	VMOVUPD (CX)(R12*8), Y2
	VMULPD  P22(R11), Y0, Y3
	VMULPD  P21EX(R11), Y1, Y4
	VADDPD  Y4, Y3, Y3
	VMULPD  P21IN(R11), Y2, Y4
	VADDPD  Y4, Y3, Y3
	VMOVUPD (DX)(R12*8), Y4
	VADDPD  I0(R11), Y4, Y4
	VMULPD  P20(R11), Y4, Y4
	VADDPD  Y4, Y3, Y3

	// Refractory neurons keep V and count down.
	VMOVUPD   (R8)(R12*8), Y5
	VCMPPD    $0, Y6, Y5, Y7
	VBLENDVPD Y7, Y3, Y0, Y0
	VSUBPD    ONE(R11), Y5, Y4
	VBLENDVPD Y7, Y5, Y4, Y5

	// Currents decay, then this step's input arrives.
	VMULPD  P11EX(R11), Y1, Y1
	VADDPD  (SI)(R12*8), Y1, Y1
	VMULPD  P11IN(R11), Y2, Y2
	VADDPD  (DI)(R12*8), Y2, Y2
	VMOVUPD Y1, (BX)(R12*8)
	VMOVUPD Y2, (CX)(R12*8)
	VMOVUPD Y6, (SI)(R12*8)
	VMOVUPD Y6, (DI)(R12*8)

	// Threshold: reset and refractory count.
	VCMPPD    $0x1d, THETA(R11), Y0, Y7
	VBLENDVPD Y7, VRESET(R11), Y0, Y0
	VBLENDVPD Y7, REFSTEPS(R11), Y5, Y5
	VMOVUPD   Y0, (AX)(R12*8)
	VMOVUPD   Y5, (R8)(R12*8)
	VMOVMSKPD Y7, R13
	MOVQ      R12, R14
	SHRQ      $2, R14
	MOVB      R13, (R9)(R14*1)

	ADDQ $4, R12
	JMP  loop

done:
	VZEROUPPER
	RET

// func copyEvents(dstT *uint32, dstW *float32, srcT *uint32, srcW *uint16, n int)
TEXT ·copyEvents(SB), NOSPLIT, $0-40
	MOVQ dstT+0(FP), DI
	MOVQ dstW+8(FP), R8
	MOVQ srcT+16(FP), SI
	MOVQ srcW+24(FP), R9
	MOVQ n+32(FP), CX
	XORQ AX, AX

copyloop:
	CMPQ       AX, CX
	JGE        copydone
	PREFETCHT0 1024(SI)(AX*4)
	PREFETCHT0 512(R9)(AX*2)
	VMOVDQU    (SI)(AX*4), Y0
	VMOVDQU    Y0, (DI)(AX*4)
	VCVTPH2PS  (R9)(AX*2), Y1
	VMOVUPS    Y1, (R8)(AX*4)
	ADDQ       $8, AX
	JMP        copyloop

copydone:
	VZEROUPPER
	RET

// func cpuid(leaf, sub uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL leaf+0(FP), AX
	MOVL sub+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

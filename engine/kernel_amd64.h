// Copyright the microcircuit authors. SPDX-License-Identifier: GPL-2.0-or-later

// Offsets shared by the AVX2 (kernel_amd64.s) and AVX-512
// (kernel512_amd64.s) kernels. TestKernelConstsLayout pins them.

// Offsets in kernelConsts: float64s replicated 4 times, int32s replicated
// 8 times, the fused Poisson kernels' scratch, the Poisson constants, the
// fixed-point unit, the flush threshold, the two-step kernels' two
// constant-current terms, the single-step Poisson kernels' stream
// increment, multiplier and shift of the step (see poisson.draw), and the
// scratch and constants of the two-step kernel with thresholds.
#define P22 0
#define P21EX 32
#define P21IN 64
#define P20 96
#define P11EX 128
#define P11IN 160
#define THETA 192
#define VRESET 224
#define I0 256
#define NOW 288
#define UNTIL 320
#define ZS 352
#define ES 416
#define SPILL 448
#define TWOM32 464
#define POIS 472
#define UNIT 600
#define FLUSHB 632
#define TERM1 640
#define TERM2 672
#define ADV 704
#define MUL 712
#define SHIFT 720
#define ES16 728
#define LOW32 792
#define ONE 800
#define CHAINP 808

// Offsets in poissonConsts (rows of 4 uint64): the SplitMix64 increment,
// its two multipliers, and the weight.
#define PGOLD 0
#define PC1 32
#define PC2 64
#define PW 96

// The shift that leaves the top tableBits bits of a random number: the
// index of its Poisson table entry.
#define TABLESHIFT 52

// UPDATEARGS loads the arguments of the update kernels (v, iex, iin, ie,
// arrEx, arrIn, until, mask, n, c) into AX, BX, CX, DX, SI, DI, R8, R9, R10,
// R11.
#define UPDATEARGS \
	MOVQ v+0(FP), AX       \
	MOVQ iex+8(FP), BX     \
	MOVQ iin+16(FP), CX    \
	MOVQ ie+24(FP), DX     \
	MOVQ arrEx+32(FP), SI  \
	MOVQ arrIn+40(FP), DI  \
	MOVQ until+48(FP), R8  \
	MOVQ mask+56(FP), R9   \
	MOVQ n+64(FP), R10     \
	MOVQ c+72(FP), R11

// POISSONARGS loads the arguments of the Poisson update kernels (v, iex,
// iin, arrEx, arrIn, until, mask, n, c, state, table; cdf stays) into AX,
// BX, CX, SI, DI, R8, R9, R10, R11, R15, DX.
#define POISSONARGS \
	MOVQ v+0(FP), AX       \
	MOVQ iex+8(FP), BX     \
	MOVQ iin+16(FP), CX    \
	MOVQ arrEx+24(FP), SI  \
	MOVQ arrIn+32(FP), DI  \
	MOVQ until+40(FP), R8  \
	MOVQ mask+48(FP), R9   \
	MOVQ n+56(FP), R10     \
	MOVQ c+64(FP), R11     \
	MOVQ state+72(FP), R15 \
	MOVQ table+80(FP), DX

// SUMSTRIDE is the bytes between the blocks of fixed-point arrival sums of
// the two-step kernels (packedNeurons int32s).
#define SUMSTRIDE 524288

// The count searches of the Poisson kernels (SEARCH4, SEARCH8, SEARCH8C):
// SPILLRK and UNSPILLRK free R9 and R10 to serve as lane and count;
// SEARCHNEXT stores the count R10 of lane R9 in the int32 scratch at SCR
// (ES or ES16), clears the lane from the lanes left in R14 and goes on at
// SLANE while some are.
#define SPILLRK \
	MOVQ R9, SPILL(R11)   \
	MOVQ R10, SPILL+8(R11)

#define UNSPILLRK \
	MOVQ SPILL(R11), R9   \
	MOVQ SPILL+8(R11), R10

#define SEARCHNEXT(SCR, SLANE) \
	MOVL  R10, SCR(R11)(R9*4) \
	BTRQ  R9, R14             \
	TESTQ R14, R14            \
	JNZ   SLANE

// PASSARGS loads the arguments of the two-step kernels (v, iex, iin, sums,
// until, mask, n, c; flush and the Poisson ones stay) into AX, BX, CX, SI,
// R8, R9, R10, R11.
#define PASSARGS \
	MOVQ v+0(FP), AX      \
	MOVQ iex+8(FP), BX    \
	MOVQ iin+16(FP), CX   \
	MOVQ sums+24(FP), SI  \
	MOVQ until+32(FP), R8 \
	MOVQ mask+40(FP), R9  \
	MOVQ n+48(FP), R10    \
	MOVQ c+56(FP), R11

// The delivery kernels (deliverWordsAVX512, deliverWordsAVX2). Offsets in
// queue (TestKernelConstsLayout pins them): ex at 96, in at 120 (pointer,
// length, capacity), 144 bytes per queue.

// WORDSARGS loads their arguments (queues, slots, base, grpEnd, grpDelay,
// from, to, start, words) into DI, R8, R9, R10, R11, R12, R13, R14, R15.
#define WORDSARGS \
	MOVQ queues+0(FP), DI    \
	MOVQ slots+8(FP), R8     \
	MOVQ base+16(FP), R9     \
	MOVQ grpEnd+24(FP), R10  \
	MOVQ grpDelay+32(FP), R11 \
	MOVQ from+40(FP), R12    \
	MOVQ to+48(FP), R13      \
	MOVQ start+56(FP), R14   \
	MOVQ words+64(FP), R15

// WORDSGROUP takes group R12, whose words start at R14: it goes to DONE
// when R12 is R13 or the group's queue must grow; else it advances the
// queue's length and leaves the group's end in AX, its number of words in
// SI, their source in BX and destination in CX. SLOT and EX are labels
// unique to the expansion.
#define WORDSGROUP(DONE, SLOT, EX) \
	CMPQ    R12, R13         \
	JGE     DONE             \
	MOVQ    (R10)(R12*8), AX \
	MOVWQZX (R11)(R12*2), BX \
	MOVQ    BX, CX           \
	ANDQ    $0x7fff, CX      \
	ADDQ    R9, CX           \
	CMPQ    CX, R8           \
	JLT     SLOT             \
	SUBQ    R8, CX           \
SLOT:                            \
	IMUL3Q  $144, CX, CX     \
	ADDQ    DI, CX           \
	LEAQ    96(CX), DX       \
	TESTQ   $0x8000, BX      \
	JZ      EX               \
	LEAQ    120(CX), DX      \
EX:                              \
	MOVQ    AX, SI           \
	SUBQ    R14, SI          \
	MOVQ    8(DX), BX        \
	LEAQ    (BX)(SI*1), CX   \
	CMPQ    CX, 16(DX)       \
	JGT     DONE             \
	MOVQ    CX, 8(DX)        \
	MOVQ    (DX), CX         \
	LEAQ    (CX)(BX*4), CX   \
	LEAQ    (R15)(R14*4), BX

// WORDSDONE returns the group the kernel stopped at.
#define WORDSDONE \
	MOVQ R12, ret+72(FP) \
	VZEROUPPER           \
	RET

// Copyright the microcircuit authors. SPDX-License-Identifier: GPL-2.0-or-later

#include "textflag.h"
#include "kernel_amd64.h"

// MEMBRANE4 loads V, iex, iin of the four neurons at R12 into Y0-Y2 and
// puts ((v*P22 + iex*P21ex) + iin*P21in) into Y3.
#define MEMBRANE4 \
	VMOVUPD (AX)(R12*8), Y0 \
	VMOVUPD (BX)(R12*8), Y1 \
	VMOVUPD (CX)(R12*8), Y2 \
	VMULPD  P22(R11), Y0, Y3 \
	VMULPD  P21EX(R11), Y1, Y4 \
	VADDPD  Y4, Y3, Y3 \
	VMULPD  P21IN(R11), Y2, Y4 \
	VADDPD  Y4, Y3, Y3

// TAIL4 finishes the four neurons at R12 once Y3 holds their new membrane
// potential: refractory neurons (the step not past their end) keep V; the
// currents decay and take this step's input (EX excitatory, the arrivals
// inhibitory), the arrival sums are reset (Y13 is zero); V at or above
// threshold is reset, the spike bits go to the mask, and those that spike
// get the end of their refractory period, behind a branch (NOSPIKE, a label
// unique to the expansion): the masked store is slow on some processors.
// INSUM adds the inhibitory arrivals to Y2 and RESET zeroes both arrival
// sums (float64 or fixed point: INSUM4, RESET4 or INSUM4X, RESET4X).
#define TAIL4(EX, NOSPIKE, INSUM, RESET) \
	VMOVDQU      (R8)(R12*4), X5 \
	VPSUBD       NOW(R11), X5, X5 \
	VPMOVSXDQ    X5, Y9 \
	VBLENDVPD    Y9, Y3, Y0, Y0 \
	VMULPD       P11EX(R11), Y1, Y1 \
	VADDPD       EX, Y1, Y1 \
	VMULPD       P11IN(R11), Y2, Y2 \
	INSUM                           \
	VMOVUPD      Y1, (BX)(R12*8) \
	VMOVUPD      Y2, (CX)(R12*8) \
	RESET                           \
	VCMPPD       $0x1d, THETA(R11), Y0, Y7 \
	VBLENDVPD    Y7, VRESET(R11), Y0, Y0 \
	VMOVUPD      Y0, (AX)(R12*8) \
	VMOVMSKPD    Y7, R13 \
	MOVQ         R12, R14 \
	SHRQ         $2, R14 \
	MOVB         R13, (R9)(R14*1) \
	TESTQ        R13, R13 \
	JZ           NOSPIKE \
	VEXTRACTF128 $1, Y7, X11 \
	VSHUFPS      $0x88, X11, X7, X11 \
	VMOVDQU      UNTIL(R11), X12 \
	VPMASKMOVD   X12, X11, (R8)(R12*4) \
NOSPIKE:

// The arrival sums of the four neurons at R12, float64 or fixed point
// (int32 in units of c's unit): ARRIVE4 puts the excitatory ones, as
// float64, in Y8, INSUM4 adds the inhibitory ones to Y2, RESET4 zeroes
// both.
#define ARRIVE4 VMOVUPD (SI)(R12*8), Y8

#define INSUM4 VADDPD (DI)(R12*8), Y2, Y2

#define RESET4 \
	VMOVUPD Y13, (SI)(R12*8) \
	VMOVUPD Y13, (DI)(R12*8)

#define ARRIVE4X \
	VCVTDQ2PD (SI)(R12*4), Y8 \
	VMULPD    UNIT(R11), Y8, Y8

#define INSUM4X \
	VCVTDQ2PD (DI)(R12*4), Y6 \
	VMULPD    UNIT(R11), Y6, Y6 \
	VADDPD    Y6, Y2, Y2

#define RESET4X \
	VMOVDQU X13, (SI)(R12*4) \
	VMOVDQU X13, (DI)(R12*4)

// UPDATE4LOOPS is the body of updateAVX2 and updateFixedAVX2 once their
// arguments are in registers: the shared or the per-neuron current's loop
// over the neurons, the arrival sums read and reset by ARRIVE, INSUM and
// RESET; the other arguments are labels unique to the expansion.
#define UPDATE4LOOPS(ARRIVE, INSUM, RESET, SHARED, SHAREDQ, PERNEURON, PERNEURONQ, DONE) \
	XORQ    R12, R12                               \
	VXORPD  Y13, Y13, Y13                          \
	TESTQ   DX, DX                                 \
	JNZ     PERNEURON                              \
	VMOVUPD I0(R11), Y10                           \
	VMULPD  P20(R11), Y10, Y10                     \
SHARED:                                            \
	CMPQ    R12, R10                               \
	JGE     DONE                                   \
	MEMBRANE4                                      \
	VADDPD  Y10, Y3, Y3                            \
	ARRIVE                                         \
	TAIL4(Y8, SHAREDQ, INSUM, RESET)               \
	ADDQ    $4, R12                                \
	JMP     SHARED                                 \
PERNEURON:                                         \
	CMPQ    R12, R10                               \
	JGE     DONE                                   \
	MEMBRANE4                                      \
	VMOVUPD (DX)(R12*8), Y4                        \
	VADDPD  I0(R11), Y4, Y4                        \
	VMULPD  P20(R11), Y4, Y4                       \
	VADDPD  Y4, Y3, Y3                             \
	ARRIVE                                         \
	TAIL4(Y8, PERNEURONQ, INSUM, RESET)            \
	ADDQ    $4, R12                                \
	JMP     PERNEURON                              \
DONE:                                              \
	VZEROUPPER                                     \
	RET

// MIX64 applies SplitMix64's first two mixing steps to Z in a general
// register, z = (z ^ z>>30)·C1, z = (z ^ z>>27)·C2 (the multipliers from
// c's Poisson constants); T is scratch.
#define MIX64(Z, T) \
	MOVQ  Z, T               \
	SHRQ  $30, T             \
	XORQ  T, Z               \
	IMULQ POIS+PC1(R11), Z   \
	MOVQ  Z, T               \
	SHRQ  $27, T             \
	XORQ  T, Z               \
	IMULQ POIS+PC2(R11), Z

// OUT64 is SplitMix64's last output step, z ^= z >> 31, on Z in a
// general register; T is scratch.
#define OUT64(Z, T) \
	MOVQ Z, T   \
	SHRQ $31, T \
	XORQ T, Z

// DRAW1 advances the SplitMix64 stream of the neuron at OFF(R15)(R12*8) by
// c's increment (golden, or 0 in a step that takes the second half of a
// pair of draws; see poisson.draw), leaves its output with this step's
// half at the top (times c's multiplier) in R13 and the Poisson table's
// entry (DX) for the top bits of that in R14.
#define DRAW1(OFF) \
	MOVQ  OFF(R15)(R12*8), R13 \
	ADDQ  ADV(R11), R13        \
	MOVQ  R13, OFF(R15)(R12*8) \
	MIX64(R13, R14)            \
	OUT64(R13, R14)            \
	IMULQ MUL(R11), R13        \
	SHRQ  $TABLESHIFT, R13     \
	MOVL  (DX)(R13*4), R14

// DRAW4 draws the table entries of the four neurons at R12 into CNT and
// goes to SEARCH (with the ambiguous lanes in R13) if one is ambiguous.
#define DRAW4(CNT, SEARCH) \
	DRAW1(0)                    \
	VMOVD     R14, CNT          \
	DRAW1(8)                    \
	VPINSRD   $1, R14, CNT, CNT \
	DRAW1(16)                   \
	VPINSRD   $2, R14, CNT, CNT \
	DRAW1(24)                   \
	VPINSRD   $3, R14, CNT, CNT \
	VMOVMSKPS CNT, R13          \
	TESTQ     R13, R13          \
	JNZ       SEARCH

// DRAWPAIR1 is DRAW1 for the first step of a two-step pass: the stream
// advances by golden; the table entry of the output's high half goes to
// R14, that of its low half (the second step's) to R13.
#define DRAWPAIR1(OFF) \
	MOVQ  OFF(R15)(R12*8), R13 \
	ADDQ  POIS+PGOLD(R11), R13 \
	MOVQ  R13, OFF(R15)(R12*8) \
	MIX64(R13, R14)            \
	OUT64(R13, R14)            \
	MOVQ  R13, R14             \
	SHRQ  $TABLESHIFT, R14     \
	MOVL  (DX)(R14*4), R14     \
	SHLQ  $32, R13             \
	SHRQ  $TABLESHIFT, R13     \
	MOVL  (DX)(R13*4), R13

// DRAWPAIR4 is DRAW4 for the first step of a two-step pass (DRAWPAIR1),
// the entries of the second step going to X10.
#define DRAWPAIR4(CNT, SEARCH) \
	DRAWPAIR1(0)                \
	VMOVD     R14, CNT          \
	VMOVD     R13, X10          \
	DRAWPAIR1(8)                \
	VPINSRD   $1, R14, CNT, CNT \
	VPINSRD   $1, R13, X10, X10 \
	DRAWPAIR1(16)               \
	VPINSRD   $2, R14, CNT, CNT \
	VPINSRD   $2, R13, X10, X10 \
	DRAWPAIR1(24)               \
	VPINSRD   $3, R14, CNT, CNT \
	VPINSRD   $3, R13, X10, X10 \
	VMOVMSKPS CNT, R13          \
	TESTQ     R13, R13          \
	JNZ       SEARCH

// The halves of an output w the searches take, moved to the top of w:
// that of c's multiplier (single steps), the high one (a pass's first
// step) or the low one (its second).
#define HALFSTEP IMULQ MUL(R11), R10
#define HALFHI
#define HALFLO SHLQ $32, R10

// POISSON4LOOP is the body of updatePoissonAVX2 and updatePoissonFixedAVX2
// once their arguments are in registers: per four neurons, SplitMix64 and
// the count from the table on the top bits, lane by lane in the integer
// units (AVX2 has no 64-bit multiply; negative entries -(k+1) need the
// search from k), this step's excitatory input as arrivals + weight·count,
// and the update; the arrival sums read and reset by ARRIVE, INSUM and
// RESET; the other arguments are labels unique to the expansion.
#define POISSON4LOOP(ARRIVE, INSUM, RESET, LOOP, FUSEDQ, PDONE, SEARCH, COUNTED, SLANE, SSTEP, SFOUND) \
	XORQ      R12, R12                  \
	VXORPD    Y13, Y13, Y13             \
	VMOVUPD   I0(R11), Y10              \
	VMULPD    P20(R11), Y10, Y10        \
LOOP:                                   \
	CMPQ      R12, R10                  \
	JGE       PDONE                     \
	DRAW4(X5, SEARCH)                   \
COUNTED:                                \
	VCVTDQ2PD X5, Y7                    \
	VMULPD    POIS+PW(R11), Y7, Y7      \
	ARRIVE                              \
	VADDPD    Y8, Y7, Y7                \
	MEMBRANE4                           \
	VADDPD    Y10, Y3, Y3               \
	TAIL4(Y7, FUSEDQ, INSUM, RESET)     \
	ADDQ      $4, R12                   \
	JMP       LOOP                      \
PDONE:                                  \
	VZEROUPPER                          \
	RET                                 \
SEARCH:                                 \
	SEARCH4(X5, HALFSTEP, SLANE, SSTEP, SFOUND, COUNTED)

// SEARCH4 finishes the counts (in CNT) of the lanes in R13, whose table
// entries are ambiguous, and goes on at COUNTED: for each, the output z
// again from the (advanced) state, w = z with the step's half at the top
// (HALF: HALFSTEP, HALFHI or HALFLO), u = (w >> 32)·2^-32, k = ^entry;
// while u >= cdf[k], k++. R9, R10 and AX are spilled to serve as lane, k
// and scratch. SLANE, SSTEP and SFOUND are labels unique to the expansion.
#define SEARCH4(CNT, HALF, SLANE, SSTEP, SFOUND, COUNTED) \
	VMOVDQU    CNT, ES(R11)             \
	SPILLRK                             \
	MOVQ       AX, ZS(R11)              \
	MOVQ       R13, R14                 \
	MOVQ       cdf+88(FP), R13          \
SLANE:                                  \
	BSFQ       R14, R9                  \
	LEAQ       (R12)(R9*1), R10         \
	MOVQ       (R15)(R10*8), R10        \
	MIX64(R10, AX)                      \
	OUT64(R10, AX)                      \
	HALF                                \
	SHRQ       $32, R10                 \
	VCVTSI2SDQ R10, X11, X11            \
	VMULSD     TWOM32(R11), X11, X11    \
	MOVL       ES(R11)(R9*4), R10       \
	NOTL       R10                      \
SSTEP:                                  \
	VUCOMISD   (R13)(R10*8), X11        \
	JCS        SFOUND                   \
	INCQ       R10                      \
	JMP        SSTEP                    \
SFOUND:                                 \
	SEARCHNEXT(ES, SLANE)               \
	VMOVDQU    ES(R11), CNT             \
	UNSPILLRK                           \
	MOVQ       ZS(R11), AX              \
	JMP        COUNTED

// Two steps per pass (see twostep.go and kernel512_amd64.s): the four
// neurons at R12, their arrival sums in a block at SI (excitatory and
// inhibitory of step u at offsets 0 and SUMSTRIDE, of u+1 at 2·SUMSTRIDE
// and 3·SUMSTRIDE).

// IHALF4X(EXIN, OFF) is the current half of a step: the currents in Y1, Y2
// decay and take the fixed-point sums at OFF(SI) and OFF+SUMSTRIDE(SI)
// (EXIN adds a float64 input to the excitatory ones in Y8), which are
// reset.
#define IHALF4X(EXIN, OFF) \
	VCVTDQ2PD OFF(SI)(R12*4), Y8           \
	VMULPD    UNIT(R11), Y8, Y8            \
	EXIN                                   \
	VMULPD    P11EX(R11), Y1, Y1           \
	VADDPD    Y8, Y1, Y1                   \
	VCVTDQ2PD OFF+SUMSTRIDE(SI)(R12*4), Y6 \
	VMULPD    UNIT(R11), Y6, Y6            \
	VMULPD    P11IN(R11), Y2, Y2           \
	VADDPD    Y6, Y2, Y2                   \
	VMOVDQU   X13, OFF(SI)(R12*4)          \
	VMOVDQU   X13, OFF+SUMSTRIDE(SI)(R12*4)

// VHALF4(NOWR, ENDR, BYTE, NOSPIKE, TERM) is the membrane half of a step
// (V, iex, iin in Y0-Y2, the refractory ends in X5, the shared current's
// term at TERM(R11)): NOWR is the step, ENDR the refractory end of a spike
// in it; the
// spike bits go to byte BYTE of the mask's uint16 at R9, the ends of those
// that spike into X5.
#define VHALF4(NOWR, ENDR, BYTE, NOSPIKE, TERM) \
	VMULPD       P22(R11), Y0, Y3          \
	VMULPD       P21EX(R11), Y1, Y4        \
	VADDPD       Y4, Y3, Y3                \
	VMULPD       P21IN(R11), Y2, Y4        \
	VADDPD       Y4, Y3, Y3                \
	VADDPD       TERM(R11), Y3, Y3         \
	VPSUBD       NOWR, X5, X9              \
	VPMOVSXDQ    X9, Y9                    \
	VBLENDVPD    Y9, Y3, Y0, Y0            \
	VCMPPD       $0x1d, THETA(R11), Y0, Y7 \
	VBLENDVPD    Y7, VRESET(R11), Y0, Y0   \
	VMOVMSKPD    Y7, R13                   \
	MOVQ         R12, R14                  \
	SHRQ         $1, R14                   \
	MOVB         R13, BYTE(R9)(R14*1)      \
	TESTQ        R13, R13                  \
	JZ           NOSPIKE                   \
	VEXTRACTF128 $1, Y7, X11               \
	VSHUFPS      $0x88, X11, X7, X11       \
	VBLENDVPS    X11, ENDR, X5, X5         \
NOSPIKE:

// FLUSH4(WHEN, SKIP) sets V, iex, iin (Y0-Y2) below flushBelow in
// magnitude to zero when the kernel's flush argument is WHEN.
#define FLUSH4(WHEN, SKIP) \
	CMPQ         flush+64(FP), $WHEN \
	JNE          SKIP                \
	VPCMPEQD     Y11, Y11, Y11       \
	VPSRLQ       $1, Y11, Y11        \
	VBROADCASTSD FLUSHB(R11), Y9     \
	VANDPD       Y11, Y0, Y6         \
	VCMPPD       $0x11, Y9, Y6, Y6   \
	VBLENDVPD    Y6, Y13, Y0, Y0     \
	VANDPD       Y11, Y1, Y6         \
	VCMPPD       $0x11, Y9, Y6, Y6   \
	VBLENDVPD    Y6, Y13, Y1, Y1     \
	VANDPD       Y11, Y2, Y6         \
	VCMPPD       $0x11, Y9, Y6, Y6   \
	VBLENDVPD    Y6, Y13, Y2, Y2     \
SKIP:

// PASS4 is a two-step pass over the four neurons at R12 (see PASS8); the
// refractory ends are stored where they changed.
#define PASS4(EXA, EXB, F1, F2, NOSPIKEA, NOSPIKEB, SAME) \
	VMOVUPD   (AX)(R12*8), Y0 \
	VMOVUPD   (BX)(R12*8), Y1 \
	VMOVUPD   (CX)(R12*8), Y2 \
	VMOVDQU   (R8)(R12*4), X5 \
	VMOVDQA   X5, X12         \
	IHALF4X(EXA, 0)           \
	FLUSH4(1, F1)             \
	VHALF4(NOW(R11), UNTIL(R11), 0, NOSPIKEA, TERM1) \
	IHALF4X(EXB, 2*SUMSTRIDE) \
	FLUSH4(2, F2)             \
	VHALF4(X14, X15, 1, NOSPIKEB, TERM2) \
	VMOVUPD   Y0, (AX)(R12*8) \
	VMOVUPD   Y1, (BX)(R12*8) \
	VMOVUPD   Y2, (CX)(R12*8) \
	VPCMPEQD  X12, X5, X11    \
	VMOVMSKPS X11, R13        \
	CMPQ      R13, $15        \
	JEQ       SAME            \
	VMOVDQU   X5, (R8)(R12*4) \
SAME:

// PASSCONSTS4 loads the arguments of a pass (v, iex, iin, sums, until,
// mask, n, c into AX, BX, CX, SI, R8, R9, R10, R11), zero into Y13, the
// step u+2 and its refractory end into X14, X15.
#define PASSCONSTS4 \
	PASSARGS                   \
	VXORPD   Y13, Y13, Y13     \
	VPCMPEQD X11, X11, X11     \
	VMOVDQU  NOW(R11), X14     \
	VPSUBD   X11, X14, X14     \
	VMOVDQU  UNTIL(R11), X15   \
	VPSUBD   X11, X15, X15

// POISSONEX4A(SEARCH, COUNTED) draws the Poisson counts of the four
// neurons at R12 (streams at R15, table at DX) for the first step of a pass
// (DRAWPAIR4) and adds weight·count to Y8; POISSONEX4B does for the second
// step from the table entries DRAWPAIR4 left in X10.
#define POISSONEX4A(SEARCH, COUNTED) \
	DRAWPAIR4(X7, SEARCH)     \
COUNTED:                      \
	VCVTDQ2PD X7, Y7          \
	VMULPD    POIS+PW(R11), Y7, Y7 \
	VADDPD    Y7, Y8, Y8

#define POISSONEX4B(SEARCH, COUNTED) \
	VMOVDQA   X10, X7         \
	VMOVMSKPS X7, R13         \
	TESTQ     R13, R13        \
	JNZ       SEARCH          \
COUNTED:                      \
	VCVTDQ2PD X7, Y7          \
	VMULPD    POIS+PW(R11), Y7, Y7 \
	VADDPD    Y7, Y8, Y8

#define NOEX4


// func updateAVX2(v, iex, iin, ie, arrEx, arrIn *float64, until *int32, mask *uint8, n int, c *kernelConsts)
TEXT ·updateAVX2(SB), NOSPLIT, $0-80
	UPDATEARGS
	UPDATE4LOOPS(ARRIVE4, INSUM4, RESET4, shared4, sharedq4, perneuron4, perneuronq4, done4)

// func updateFixedAVX2(v, iex, iin, ie *float64, arrEx, arrIn *int32, until *int32, mask *uint8, n int, c *kernelConsts)
//
// updateAVX2 with fixed-point arrival sums.
TEXT ·updateFixedAVX2(SB), NOSPLIT, $0-80
	UPDATEARGS
	UPDATE4LOOPS(ARRIVE4X, INSUM4X, RESET4X, shared4x, sharedq4x, perneuron4x, perneuronq4x, done4x)

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

// func prefetch(p unsafe.Pointer)
TEXT ·prefetch(SB), NOSPLIT, $0-8
	MOVQ       p+0(FP), AX
	PREFETCHT0 (AX)
	RET

// func updatePoissonAVX2(v, iex, iin, arrEx, arrIn *float64, until *int32, mask *uint8, n int, c *kernelConsts, state *uint64, table *int32, cdf *float64)
//
// updateAVX2 of neurons that share one constant current, each first
// drawing its Poisson count as poisson.draw does (the search for the count,
// where the table cannot settle it, done here too) and adding weight·count
// to its excitatory input, in one pass over the neurons.
TEXT ·updatePoissonAVX2(SB), NOSPLIT, $0-96
	POISSONARGS
	POISSON4LOOP(ARRIVE4, INSUM4, RESET4, ploop2, fusedq4, pdone2, search2, counted2, slane2, sstep2, sfound2)

// func updatePoissonFixedAVX2(v, iex, iin *float64, arrEx, arrIn *int32, until *int32, mask *uint8, n int, c *kernelConsts, state *uint64, table *int32, cdf *float64)
//
// updatePoissonAVX2 with fixed-point arrival sums.
TEXT ·updatePoissonFixedAVX2(SB), NOSPLIT, $0-96
	POISSONARGS
	POISSON4LOOP(ARRIVE4X, INSUM4X, RESET4X, ploop2x, fusedq4x, pdone2x, search2x, counted2x, slane2x, sstep2x, sfound2x)

// func update2FixedAVX2(v, iex, iin *float64, sums, until *int32, mask *uint16, n int, c *kernelConsts, flush int)
//
// The AVX2 twin of update2FixedAVX512 (n a multiple of 4).
TEXT ·update2FixedAVX2(SB), NOSPLIT, $0-72
	PASSCONSTS4
	XORQ R12, R12
loop2a:
	CMPQ R12, R10
	JGE  done2a
	PASS4(NOEX4, NOEX4, f1a, f2a, nsa1, nsa2, samea)
	ADDQ $4, R12
	JMP  loop2a
done2a:
	VZEROUPPER
	RET

// func update2PoissonFixedAVX2(v, iex, iin *float64, sums, until *int32, mask *uint16, n int, c *kernelConsts, flush int, state *uint64, table *int32, cdf *float64)
//
// The AVX2 twin of update2PoissonFixedAVX512.
TEXT ·update2PoissonFixedAVX2(SB), NOSPLIT, $0-96
	PASSCONSTS4
	MOVQ state+72(FP), R15
	MOVQ table+80(FP), DX
	XORQ R12, R12
ploop2a:
	CMPQ R12, R10
	JGE  pdone2a
	PASS4(POISSONEX4A(psearchaa, pcountedaa), POISSONEX4B(psearchab, pcountedab), pf1a, pf2a, pnsa1, pnsa2, psamea)
	ADDQ $4, R12
	JMP  ploop2a
pdone2a:
	VZEROUPPER
	RET
psearchaa:
	SEARCH4(X7, HALFHI, pslaneaa, psstepaa, psfoundaa, pcountedaa)
psearchab:
	SEARCH4(X7, HALFLO, pslaneab, psstepab, psfoundab, pcountedab)

// func deliverWordsAVX2(queues *queue, slots, base int, grpEnd *int64, grpDelay *uint16, from, to, start int64, words *uint32) int64
//
// deliverWordsAVX2: eight words a move, the last few in one move of the
// group's last eight (over words already copied), four-word moves for
// groups of four to seven, words one by one for fewer.
TEXT ·deliverWordsAVX2(SB), NOSPLIT, $0-80
	WORDSARGS
vgroup:
	WORDSGROUP(vdone, vslot, vex)
	CMPQ    SI, $8
	JLT     vshort
	LEAQ    -32(BX)(SI*4), R14
	LEAQ    -32(CX)(SI*4), DX
vcopy:
	VMOVDQU (BX), Y0
	VMOVDQU Y0, (CX)
	ADDQ    $32, BX
	ADDQ    $32, CX
	SUBQ    $8, SI
	CMPQ    SI, $8
	JGE     vcopy
	TESTQ   SI, SI
	JZ      vnext
	VMOVDQU (R14), Y0
	VMOVDQU Y0, (DX)
	JMP     vnext
vshort:
	CMPQ    SI, $4
	JLT     vtail
	VMOVDQU -16(BX)(SI*4), X1
	VMOVDQU (BX), X0
	VMOVDQU X0, (CX)
	VMOVDQU X1, -16(CX)(SI*4)
	JMP     vnext
vtail:
	TESTQ SI, SI
	JZ    vnext
	MOVL  (BX), DX
	MOVL  DX, (CX)
	ADDQ  $4, BX
	ADDQ  $4, CX
	DECQ  SI
	JMP   vtail
vnext:
	MOVQ AX, R14
	INCQ R12
	JMP  vgroup
vdone:
	WORDSDONE

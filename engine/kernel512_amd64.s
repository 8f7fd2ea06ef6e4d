// Copyright the microcircuit authors. SPDX-License-Identifier: GPL-2.0-or-later

#include "textflag.h"
#include "kernel_amd64.h"

// AVX-512 twins of updateAVX2 and poissonAVX2: eight neurons per
// iteration, the blends as opmask moves, the 64-bit multiplies of
// SplitMix64 as VPMULLQ. Each computes exactly what its scalar twin does.

// The neuron update of eight neurons at R12 after the new membrane
// potential (before the refractory check) is in Z3; V, iex, iin in Z0-Z2.
// Refractory neurons (the step not past their end, int32(until - now) >= 0)
// keep V; neurons that spike get the end of their refractory period (the
// masked store, slow on some processors, only when one does). EX is this
// step's excitatory input, NOSPIKE a label unique to the expansion; INSUM
// adds the inhibitory arrivals to Z2 and RESET zeroes both arrival sums
// (float64 or fixed point: INSUM8, RESET8 or INSUM8X, RESET8X).
#define UPDATE8(EX, NOSPIKE, INSUM, RESET) \
	VMOVDQU32 (R8)(R12*4), Y5        \
	VPSUBD    Y24, Y5, Y5            \
	VPMOVD2M  Y5, K1                 \
	VMOVAPD   Z3, K1, Z0             \
	VMULPD    Z20, Z1, Z1            \
	VADDPD    EX, Z1, Z1             \
	VMULPD    Z21, Z2, Z2            \
	INSUM                            \
	VMOVUPD   Z1, (BX)(R12*8)        \
	VMOVUPD   Z2, (CX)(R12*8)        \
	RESET                            \
	VCMPPD    $0x1d, Z22, Z0, K2     \
	VMOVAPD   Z23, K2, Z0            \
	VMOVUPD   Z0, (AX)(R12*8)        \
	KMOVW     K2, R13                \
	MOVQ      R12, R14               \
	SHRQ      $3, R14                \
	MOVB      R13, (R9)(R14*1)       \
	TESTQ     R13, R13               \
	JZ        NOSPIKE                \
	VMOVDQU32 Y25, K2, (R8)(R12*4)   \
NOSPIKE:

#define ARRIVE8 VMOVUPD (SI)(R12*8), Z7

#define INSUM8 VADDPD (DI)(R12*8), Z2, Z2

#define RESET8 \
	VMOVUPD Z27, (SI)(R12*8) \
	VMOVUPD Z27, (DI)(R12*8)

// The fixed-point arrival sums (int32, in units of Z15) of the eight
// neurons at R12: INSUM8X adds the inhibitory ones to Z2, RESET8X zeroes
// both, ARRIVE8X puts the excitatory ones, as float64, in Z7.
#define INSUM8X \
	VCVTDQ2PD (DI)(R12*4), Z6 \
	VMULPD    Z15, Z6, Z6     \
	VADDPD    Z6, Z2, Z2

#define RESET8X \
	VMOVDQU32 Y27, (SI)(R12*4) \
	VMOVDQU32 Y27, (DI)(R12*4)

#define ARRIVE8X \
	VCVTDQ2PD (SI)(R12*4), Z7 \
	VMULPD    Z15, Z7, Z7

// The membrane potential's first three terms, ((v*P22 + iex*P21ex) +
// iin*P21in), of the eight neurons at R12 into Z3.
#define MEMBRANE8 \
	VMOVUPD (AX)(R12*8), Z0 \
	VMOVUPD (BX)(R12*8), Z1 \
	VMOVUPD (CX)(R12*8), Z2 \
	VMULPD  Z16, Z0, Z3     \
	VMULPD  Z17, Z1, Z4     \
	VADDPD  Z4, Z3, Z3      \
	VMULPD  Z18, Z2, Z4     \
	VADDPD  Z4, Z3, Z3

// CONSTS8 loads the update's constants from the kernelConsts at R11 into
// Z16-Z26 (the current's I0 in Z26) and zero into Z27.
#define CONSTS8 \
	VBROADCASTSD P22(R11), Z16    \
	VBROADCASTSD P21EX(R11), Z17  \
	VBROADCASTSD P21IN(R11), Z18  \
	VBROADCASTSD P20(R11), Z19    \
	VBROADCASTSD P11EX(R11), Z20  \
	VBROADCASTSD P11IN(R11), Z21  \
	VBROADCASTSD THETA(R11), Z22  \
	VBROADCASTSD VRESET(R11), Z23 \
	VMOVDQU32    NOW(R11), Y24    \
	VMOVDQU32    UNTIL(R11), Y25  \
	VBROADCASTSD I0(R11), Z26     \
	VPXORQ       Z27, Z27, Z27

// MIX8 advances the SplitMix64 streams of the eight neurons at
// (ST)(IDX*8) by ADV (golden, or 0 in a step that takes the second half of
// a pair of draws; see poisson.draw) and leaves their outputs in Z. C1, C2
// hold the multipliers; T is scratch.
#define MIX8(ST, IDX, Z, T, ADV, C1, C2) \
	VMOVDQU64  (ST)(IDX*8), Z \
	VPADDQ     ADV, Z, Z      \
	VMOVDQU64  Z, (ST)(IDX*8) \
	VPSRLQ     $30, Z, T      \
	VPXORQ     T, Z, Z        \
	VPMULLQ    C1, Z, Z       \
	VPSRLQ     $27, Z, T      \
	VPXORQ     T, Z, Z        \
	VPMULLQ    C2, Z, Z       \
	VPSRLQ     $31, Z, T      \
	VPXORQ     T, Z, Z

// LOOKUP8 gathers the Poisson table's entries (at DX) for the top
// tableBits bits of the eight numbers in Z8 into Y10, sets K3 to the lanes
// whose entry is negative (ambiguous) and goes to SEARCH if one is.
#define LOOKUP8(SEARCH) \
	VPSRLQ     $TABLESHIFT, Z8, Z9 \
	KXNORW     K1, K1, K1          \
	VPXORD     Y10, Y10, Y10       \
	VPGATHERQD (DX)(Z9*4), K1, Y10 \
	VPMOVD2M   Y10, K3             \
	KORTESTW   K3, K3              \
	JNZ        SEARCH

// DRAW8 draws the table entries of the eight neurons at R12 (streams at
// R15, table at DX) for this step into Y10, its half of each output moved
// to the top of Z8 (c's shift), and goes to SEARCH if one is ambiguous.
#define DRAW8(SEARCH) \
	MIX8(R15, R12, Z8, Z9, Z28, Z29, Z30) \
	VPSLLVQ.BCST SHIFT(R11), Z8, Z8       \
	LOOKUP8(SEARCH)

// CDFSTEP8 is the inversion's search from count R10 for the uniform in
// X11, the cdf at R13: while u >= cdf[k], k++; then on at SFOUND. SSTEP and
// SFOUND are labels unique to the expansion.
#define CDFSTEP8(SSTEP, SFOUND) \
SSTEP:                                    \
	VCMPSD   $0x1d, (R13)(R10*8), X11, K4 \
	KORTESTW K4, K4                       \
	JZ       SFOUND                       \
	INCQ     R10                          \
	JMP      SSTEP                        \
SFOUND:

// SEARCH8 finishes the counts of the lanes in K3, whose table entries are
// ambiguous, and goes on at COUNTED: for each, u = (w >> 32)·2^-32 with w
// the lane's number in Z8 (left as it is), k = ^entry; while u >= cdf[k],
// k++. R9, R10 are spilled to serve as lane and k. SLANE, SSTEP and SFOUND
// are labels unique to the expansion.
#define SEARCH8(SLANE, SSTEP, SFOUND, COUNTED) \
	VMOVDQU64 Z8, ZS(R11) \
	VMOVDQU32 Y10, ES(R11) \
	SPILLRK \
	KMOVW     K3, R14 \
	MOVQ      cdf+88(FP), R13 \
SLANE: \
	BSFQ      R14, R9 \
	MOVL      ES(R11)(R9*4), R10 \
	NOTL      R10 \
	VMOVQ     ZS(R11)(R9*8), X11 \
	VPSRLQ    $32, X11, X11 \
	VCVTQQ2PD X11, X11 \
	VMULSD    TWOM32(R11), X11, X11 \
	CDFSTEP8(SSTEP, SFOUND) \
	SEARCHNEXT(ES, SLANE) \
	VMOVDQU32 ES(R11), Y10 \
	UNSPILLRK \
	JMP       COUNTED

// UPDATE8LOOPS is the body of updateAVX512 and updateFixedAVX512 once
// their arguments are in registers: the shared or the per-neuron current's
// loop over the neurons, the arrival sums read (into Z7 and Z2) and reset
// by ARRIVE, INSUM and RESET; the other arguments are labels unique to the
// expansion.
#define UPDATE8LOOPS(ARRIVE, INSUM, RESET, SHARED, SHAREDQ, PERNEURON, PERNEURONQ, DONE) \
	XORQ    R12, R12                               \
	TESTQ   DX, DX                                 \
	JNZ     PERNEURON                              \
	VMULPD  Z19, Z26, Z26                          \
SHARED:                                            \
	CMPQ    R12, R10                               \
	JGE     DONE                                   \
	MEMBRANE8                                      \
	VADDPD  Z26, Z3, Z3                            \
	ARRIVE                                         \
	UPDATE8(Z7, SHAREDQ, INSUM, RESET)             \
	ADDQ    $8, R12                                \
	JMP     SHARED                                 \
PERNEURON:                                         \
	CMPQ    R12, R10                               \
	JGE     DONE                                   \
	MEMBRANE8                                      \
	VADDPD  (DX)(R12*8), Z26, Z4                   \
	VMULPD  Z19, Z4, Z4                            \
	VADDPD  Z4, Z3, Z3                             \
	ARRIVE                                         \
	UPDATE8(Z7, PERNEURONQ, INSUM, RESET)          \
	ADDQ    $8, R12                                \
	JMP     PERNEURON                              \
DONE:                                              \
	VZEROUPPER                                     \
	RET

// POISSON8LOOP is the body of updatePoissonAVX512 and
// updatePoissonFixedAVX512 once their arguments are in registers: per
// eight neurons, SplitMix64 and the count from the table on the top
// tableBits bits (negative entries -(k+1) need the search from k), this
// step's excitatory input as arrivals + weight·count, and the update; the
// arrival sums read and reset by ARRIVE, INSUM and RESET; the other
// arguments are labels unique to the expansion.
#define POISSON8LOOP(ARRIVE, INSUM, RESET, FUSED, FUSEDQ, FDONE, SEARCH, COUNTED, SLANE, SSTEP, SFOUND) \
	VPBROADCASTQ ADV(R11), Z28                          \
	VPBROADCASTQ POIS+PC1(R11), Z29                     \
	VPBROADCASTQ POIS+PC2(R11), Z30                     \
	VBROADCASTSD POIS+PW(R11), Z31                      \
	VMULPD       Z19, Z26, Z26                          \
	XORQ         R12, R12                               \
FUSED:                                                  \
	CMPQ         R12, R10                               \
	JGE          FDONE                                  \
	DRAW8(SEARCH)                                       \
COUNTED:                                                \
	VCVTDQ2PD    Y10, Z10                               \
	VMULPD       Z31, Z10, Z10                          \
	ARRIVE                                              \
	VADDPD       Z7, Z10, Z10                           \
	MEMBRANE8                                           \
	VADDPD       Z26, Z3, Z3                            \
	UPDATE8(Z10, FUSEDQ, INSUM, RESET)                  \
	ADDQ         $8, R12                                \
	JMP          FUSED                                  \
FDONE:                                                  \
	VZEROUPPER                                          \
	RET                                                 \
SEARCH:                                                 \
	SEARCH8(SLANE, SSTEP, SFOUND, COUNTED)

// Two steps per pass (see twostep.go). The arrival sums of a pass are one
// block at SI: the excitatory and inhibitory sums of step u at offsets 0
// and SUMSTRIDE, those of step u+1 at 2·SUMSTRIDE and 3·SUMSTRIDE.

// IHALF8X(EX, OFF) is the current half of a step for the eight neurons at
// R12: the currents in Z1, Z2 decay and take the step's fixed-point sums
// at OFF(SI) and OFF+SUMSTRIDE(SI) (EX, a float64 input, joining the
// excitatory ones: Z7 for none), which are reset.
#define IHALF8X(EXIN, OFF) \
	VCVTDQ2PD OFF(SI)(R12*4), Z7              \
	VMULPD    Z15, Z7, Z7                     \
	EXIN                                      \
	VMULPD    Z20, Z1, Z1                     \
	VADDPD    Z7, Z1, Z1                      \
	VCVTDQ2PD OFF+SUMSTRIDE(SI)(R12*4), Z6    \
	VMULPD    Z15, Z6, Z6                     \
	VMULPD    Z21, Z2, Z2                     \
	VADDPD    Z6, Z2, Z2                      \
	VMOVDQU32 Y27, OFF(SI)(R12*4)             \
	VMOVDQU32 Y27, OFF+SUMSTRIDE(SI)(R12*4)

// VHALF8(NOWR, ENDR, K, TERM) is the membrane half of a step for the
// eight neurons at R12 (V, iex, iin in Z0-Z2, the refractory ends in Y5,
// the shared current's term at TERM(R11)): NOWR is the step, ENDR the
// refractory end of a spike in it; K gets the spikes, Y5 their ends.
#define VHALF8(NOWR, ENDR, K, TERM) \
	VMULPD    Z16, Z0, Z3       \
	VMULPD    Z17, Z1, Z4       \
	VADDPD    Z4, Z3, Z3        \
	VMULPD    Z18, Z2, Z4       \
	VADDPD    Z4, Z3, Z3        \
	VADDPD.BCST TERM(R11), Z3, Z3 \
	VPSUBD    NOWR, Y5, Y6      \
	VPMOVD2M  Y6, K1            \
	VMOVAPD   Z3, K1, Z0        \
	VCMPPD    $0x1d, Z22, Z0, K \
	VMOVAPD   Z23, K, Z0        \
	VMOVDQA32 ENDR, K, Y5

// FLUSH8(WHEN, SKIP) sets V, iex, iin (Z0-Z2) below flushBelow in
// magnitude to zero when the kernel's flush argument is WHEN.
#define FLUSH8(WHEN, SKIP) \
	CMPQ         flush+64(FP), $WHEN \
	JNE          SKIP                      \
	VBROADCASTSD FLUSHB(R11), Z14          \
	VPTERNLOGQ   $0xff, Z9, Z9, Z9         \
	VPSRLQ       $1, Z9, Z9                \
	VANDPD       Z9, Z0, Z11               \
	VCMPPD       $0x11, Z14, Z11, K1       \
	VMOVAPD      Z27, K1, Z0               \
	VANDPD       Z9, Z1, Z11               \
	VCMPPD       $0x11, Z14, Z11, K1       \
	VMOVAPD      Z27, K1, Z1               \
	VANDPD       Z9, Z2, Z11               \
	VCMPPD       $0x11, Z14, Z11, K1       \
	VMOVAPD      Z27, K1, Z2               \
SKIP:

// PASS8 is a two-step pass over the eight neurons at R12: the currents of
// step u (with EXA joining its excitatory input), the membrane of u+1, the
// currents of u+1 (EXB), the membrane of u+2; the state stored, the spikes
// of u+1 and u+2 in the low and high byte of the mask's uint16 at R9, the
// refractory ends stored where a neuron spiked. The other arguments are
// labels unique to the expansion.
#define PASS8(EXA, EXB, F1, F2, NOSPIKE) \
	VMOVUPD   (AX)(R12*8), Z0 \
	VMOVUPD   (BX)(R12*8), Z1 \
	VMOVUPD   (CX)(R12*8), Z2 \
	VMOVDQU32 (R8)(R12*4), Y5 \
	IHALF8X(EXA, 0)           \
	FLUSH8(1, F1)             \
	VHALF8(Y24, Y25, K2, TERM1)      \
	IHALF8X(EXB, 2*SUMSTRIDE) \
	FLUSH8(2, F2)             \
	VHALF8(Y12, Y13, K3, TERM2)      \
	VMOVUPD   Z0, (AX)(R12*8) \
	VMOVUPD   Z1, (BX)(R12*8) \
	VMOVUPD   Z2, (CX)(R12*8) \
	KUNPCKBW  K2, K3, K4      \
	KMOVW     K4, R13         \
	MOVQ      R12, R14        \
	SHRQ      $2, R14         \
	MOVW      R13, (R9)(R14*1) \
	TESTQ     R13, R13        \
	JZ        NOSPIKE         \
	VMOVDQU32 Y5, (R8)(R12*4) \
NOSPIKE:

// PASSCONSTS8 loads the constants of a pass (c's step is u+1) and its
// arguments v, iex, iin, sums, until, mask, n, c into AX, BX, CX, SI, R8,
// R9, R10, R11: CONSTS8, the unit in Z15, the step u+2 and its refractory
// end in Y12, Y13.
#define PASSCONSTS8 \
	PASSARGS                      \
	CONSTS8                       \
	VBROADCASTSD UNIT(R11), Z15   \
	VPTERNLOGD   $0xff, Y14, Y14, Y14 \
	VPSUBD       Y14, Y24, Y12    \
	VPSUBD       Y14, Y25, Y13

#define NOEX


// POISSONEX8A(SEARCH, COUNTED) draws the Poisson counts of the eight
// neurons at R12 (streams at R15, table at DX) for the first step of a
// pass, from the high halves of their streams' next outputs, which it
// leaves in Z8, and adds weight·count to Z7; POISSONEX8B does for the
// second step from the low halves of the outputs in Z8.
#define POISSONEX8A(SEARCH, COUNTED) \
	MIX8(R15, R12, Z8, Z9, Z28, Z29, Z30) \
	LOOKUP8(SEARCH)            \
COUNTED:                   \
	VCVTDQ2PD    Y10, Z10  \
	VMULPD       Z31, Z10, Z10 \
	VADDPD       Z7, Z10, Z7

#define POISSONEX8B(SEARCH, COUNTED) \
	VPSLLQ       $32, Z8, Z8 \
	LOOKUP8(SEARCH)            \
COUNTED:                   \
	VCVTDQ2PD    Y10, Z10  \
	VMULPD       Z31, Z10, Z10 \
	VADDPD       Z7, Z10, Z7


// POISSONEX8C(CHAIN, SEARCH, COUNTED) draws the Poisson counts of the
// eight neurons at R12 (streams at R15) for both steps of a pass without
// the table: each 32-bit half of the outputs in Z8 is counted against the
// thresholds at DX (CHAINP(R11) pairs), the counts left in Z10's dwords
// (the first step's in the high ones); the lanes above the last (largest)
// threshold, whose count is the thresholds' number K, go to SEARCH. It
// adds weight·count of the first step to Z7; POISSONEX8D does for the
// second step.
#define POISSONEX8C(CHAIN, SEARCH, COUNTED) \
	MIX8(R15, R12, Z8, Z9, Z28, Z29, Z30)  \
	VPXORD       Z10, Z10, Z10             \
	MOVQ         DX, R14                   \
	MOVQ         CHAINP(R11), R13          \
CHAIN:                                     \
	VPCMPUD.BCST $6, (R14), Z8, K1         \
	VPADDD.BCST  ONE(R11), Z10, K1, Z10    \
	VPCMPUD.BCST $6, 4(R14), Z8, K1        \
	VPADDD.BCST  ONE(R11), Z10, K1, Z10    \
	ADDQ         $8, R14                   \
	DECQ         R13                       \
	JNZ          CHAIN                     \
	KORTESTW     K1, K1                    \
	JNZ          SEARCH                    \
COUNTED:                                   \
	VPSRLQ       $32, Z10, Z9              \
	VCVTQQ2PD    Z9, Z9                    \
	VMULPD       Z31, Z9, Z9               \
	VADDPD       Z9, Z7, Z7

#define POISSONEX8D \
	VPANDQ.BCST  LOW32(R11), Z10, Z9 \
	VCVTQQ2PD    Z9, Z9              \
	VMULPD       Z31, Z9, Z9         \
	VADDPD       Z9, Z7, Z7

// SEARCH8C finishes the counts of POISSONEX8C's lanes in K1 and goes on at
// COUNTED: for each dword lane, u = h·2^-32 with h its half of Z8, k from
// its count (K); while u >= cdf[k], k++. R9, R10 are spilled to serve
// as lane and k. SLANE, SSTEP and SFOUND are labels unique to the
// expansion.
#define SEARCH8C(SLANE, SSTEP, SFOUND, COUNTED) \
	VMOVDQU64  Z8, ZS(R11)                 \
	VMOVDQU32  Z10, ES16(R11)              \
	SPILLRK                                \
	KMOVW      K1, R14                     \
	MOVQ       cdf+88(FP), R13             \
SLANE:                                     \
	BSFQ       R14, R9                     \
	MOVL       ZS(R11)(R9*4), R10          \
	VCVTSI2SDQ R10, X11, X11               \
	VMULSD     TWOM32(R11), X11, X11       \
	MOVL       ES16(R11)(R9*4), R10        \
	CDFSTEP8(SSTEP, SFOUND)                \
	SEARCHNEXT(ES16, SLANE)                \
	VMOVDQU32  ES16(R11), Z10              \
	UNSPILLRK                              \
	JMP        COUNTED

// POISSONPASS8(TAB, EXA, EXB, LOOP, DONE, F1, F2, NOSPIKE) is the body of
// the two-step Poisson kernels: the constants of a pass and of the streams
// (states at R15, the argument TAB at DX), and the passes over the neurons
// with EXA and EXB drawing the two steps' counts.
#define POISSONPASS8(TAB, EXA, EXB, LOOP, DONE, F1, F2, NOSPIKE) \
	PASSCONSTS8                       \
	MOVQ         state+72(FP), R15    \
	MOVQ         TAB+80(FP), DX       \
	VPBROADCASTQ POIS+PGOLD(R11), Z28 \
	VPBROADCASTQ POIS+PC1(R11), Z29   \
	VPBROADCASTQ POIS+PC2(R11), Z30   \
	VBROADCASTSD POIS+PW(R11), Z31    \
	XORQ         R12, R12             \
LOOP:                                     \
	CMPQ R12, R10                     \
	JGE  DONE                         \
	PASS8(EXA, EXB, F1, F2, NOSPIKE)  \
	ADDQ $8, R12                      \
	JMP  LOOP                         \
DONE:                                     \
	VZEROUPPER                        \
	RET

// func updateAVX512(v, iex, iin, ie, arrEx, arrIn *float64, until *int32, mask *uint8, n int, c *kernelConsts)
TEXT ·updateAVX512(SB), NOSPLIT, $0-80
	UPDATEARGS
	CONSTS8
	UPDATE8LOOPS(ARRIVE8, INSUM8, RESET8, shared, sharedq, perneuron, perneuronq, done)

// func updatePoissonAVX512(v, iex, iin, arrEx, arrIn *float64, until *int32, mask *uint8, n int, c *kernelConsts, state *uint64, table *int32, cdf *float64)
//
// updateAVX512 of neurons that share one constant current, each first
// drawing its Poisson count as poisson.draw does (the search for the
// count, where the table cannot settle it, done here too) and adding
// weight·count to its excitatory input, in one pass over the neurons.
TEXT ·updatePoissonAVX512(SB), NOSPLIT, $0-96
	POISSONARGS
	CONSTS8
	POISSON8LOOP(ARRIVE8, INSUM8, RESET8, fused, fusedq, fdone, search, counted, slane, sstep, sfound)

// func updateFixedAVX512(v, iex, iin, ie *float64, arrEx, arrIn *int32, until *int32, mask *uint8, n int, c *kernelConsts)
//
// updateAVX512 with fixed-point arrival sums.
TEXT ·updateFixedAVX512(SB), NOSPLIT, $0-80
	UPDATEARGS
	CONSTS8
	VBROADCASTSD UNIT(R11), Z15
	UPDATE8LOOPS(ARRIVE8X, INSUM8X, RESET8X, sharedx, sharedqx, perneuronx, perneuronqx, donex)

// func updatePoissonFixedAVX512(v, iex, iin *float64, arrEx, arrIn *int32, until *int32, mask *uint8, n int, c *kernelConsts, state *uint64, table *int32, cdf *float64)
//
// updatePoissonAVX512 with fixed-point arrival sums.
TEXT ·updatePoissonFixedAVX512(SB), NOSPLIT, $0-96
	POISSONARGS
	CONSTS8
	VBROADCASTSD UNIT(R11), Z15
	POISSON8LOOP(ARRIVE8X, INSUM8X, RESET8X, fusedx, fusedqx, fdonex, searchx, countedx, slanex, sstepx, sfoundx)


// func update2FixedAVX512(v, iex, iin *float64, sums, until *int32, mask *uint16, n int, c *kernelConsts, flush int)
//
// Two steps of n neurons (a multiple of 8) that share one constant current
// (see twostep.go): flush is 1 or 2 where the first or second membrane half
// is a flush step, else 0.
TEXT ·update2FixedAVX512(SB), NOSPLIT, $0-72
	PASSCONSTS8
	XORQ R12, R12
loop2:
	CMPQ R12, R10
	JGE  done2
	PASS8(NOEX, NOEX, f1, f2, nospike2)
	ADDQ $8, R12
	JMP  loop2
done2:
	VZEROUPPER
	RET

// func update2PoissonFixedAVX512(v, iex, iin *float64, sums, until *int32, mask *uint16, n int, c *kernelConsts, flush int, state *uint64, table *int32, cdf *float64)
//
// update2FixedAVX512 with both steps' Poisson counts drawn from one output
// of each neuron's stream (see poisson.draw) and added to their excitatory
// input, the counts from the table.
TEXT ·update2PoissonFixedAVX512(SB), NOSPLIT, $0-96
	POISSONPASS8(table, POISSONEX8A(psearcha, pcounteda), POISSONEX8B(psearchb, pcountedb), ploop2, pdone2, pf1, pf2, pnospike2)
psearcha:
	SEARCH8(pslanea, psstepa, psfounda, pcounteda)
psearchb:
	SEARCH8(pslaneb, psstepb, psfoundb, pcountedb)

// func update2PoissonChainAVX512(v, iex, iin *float64, sums, until *int32, mask *uint16, n int, c *kernelConsts, flush int, state *uint64, chain *uint32, cdf *float64)
//
// update2PoissonFixedAVX512 with the counts from the thresholds chain
// (poisson.chain; c holds the number of pairs) instead of the table.
TEXT ·update2PoissonChainAVX512(SB), NOSPLIT, $0-96
	POISSONPASS8(chain, POISSONEX8C(cchain, csearch, ccounted), POISSONEX8D, cloop2, cdone2, cf1, cf2, cnospike2)
csearch:
	SEARCH8C(cslane, csstep, csfound, ccounted)

// func deliverWordsAVX512(queues *queue, slots, base int, grpEnd *int64, grpDelay *uint16, from, to, start int64, words *uint32) int64
TEXT ·deliverWordsAVX512(SB), NOSPLIT, $0-80
	WORDSARGS
wgroup:
	WORDSGROUP(wdone, wslot, wex)
wcopy:
	CMPQ      SI, $16
	JLT       wtail
	VMOVDQU32 (BX), Z0
	VMOVDQU32 Z0, (CX)
	ADDQ      $64, BX
	ADDQ      $64, CX
	SUBQ      $16, SI
	JMP       wcopy
wtail:
	TESTQ     SI, SI
	JZ        wnext
	MOVQ      $1, DX
	SHLXQ     SI, DX, DX
	DECQ      DX
	KMOVW     DX, K1
	VMOVDQU32 (BX), K1, Z0
	VMOVDQU32 Z0, K1, (CX)
wnext:
	MOVQ AX, R14
	INCQ R12
	JMP  wgroup
wdone:
	WORDSDONE

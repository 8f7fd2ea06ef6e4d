package rng

import "math"

// The network builder draws about 10^9 numbers at full scale; these draw
// from a concrete SplitMix64 stream (no interface call per number, two
// multiplies per number).

// SplitMix is a SplitMix64 stream: a Weyl sequence passed through the
// SplitMix64 finaliser. Its zero value is a valid stream; Seed starts a
// keyed one.
type SplitMix struct{ s uint64 }

// SeedSplitMix sets src to the start of sub-stream i of key.
func SeedSplitMix(src *SplitMix, key, i uint64) {
	src.s = mix(key ^ mix(i+0x632be59bd9b4e019))
}

// Uint64 returns the stream's next 64 random bits.
func (src *SplitMix) Uint64() uint64 {
	src.s += 0x9e3779b97f4a7c15
	return mix(src.s)
}

// IntN returns a uniform integer in [0, n) drawn from src, n > 0: the high
// half of a 32×32-bit product, with the few biased low halves rejected
// (Lemire's method).
func IntN(src *SplitMix, n uint32) uint32 {
	m := uint64(uint32(src.Uint64())) * uint64(n)
	if uint32(m) < n {
		// Reject the low halves below 2^32 mod n, which would bias the
		// result; rare unless n is large.
		limit := -n % n
		for uint32(m) < limit {
			m = uint64(uint32(src.Uint64())) * uint64(n)
		}
	}
	return uint32(m >> 32)
}

// The ziggurat of the standard normal density f(x) = exp(-x²/2) with
// zigLayers layers of equal area (Marsaglia & Tsang, 2000): layer i covers
// |x| < zigX[i] under the density's value zigF[i]; layer 0 is the base
// strip with the tail beyond zigR.
const (
	zigLayers = 128
	zigR      = 3.442619855899      // the base strip's right edge
	zigArea   = 9.91256303526217e-3 // area of each layer
	zigInvR   = 1 / zigR            // for the tail
)

var (
	// zigK[i] is the largest |j| (of a signed 31-bit j) for which j·zigW[i]
	// lies in layer i's rectangle that is wholly under the density: such
	// draws are accepted at once.
	zigK [zigLayers]uint32
	// zigW[i] turns a signed 31-bit draw into x in layer i's width.
	zigW [zigLayers]float64
	// zigF[i] is the density at layer i's edge.
	zigF [zigLayers]float64
)

func init() {
	const m = 1 << 31
	x := zigR
	f := math.Exp(-0.5 * x * x)
	q := zigArea / f // the base strip's width, tail included
	zigK[0] = uint32(x / q * m)
	zigK[1] = 0
	zigW[0] = q / m
	zigW[zigLayers-1] = x / m
	zigF[0] = 1
	zigF[zigLayers-1] = f
	for i := zigLayers - 2; i >= 1; i-- {
		prev := x
		x = math.Sqrt(-2 * math.Log(zigArea/x+math.Exp(-0.5*x*x)))
		zigK[i+1] = uint32(x / prev * m)
		zigF[i] = math.Exp(-0.5 * x * x)
		zigW[i] = x / m
	}
}

// Normal returns a standard normal deviate drawn from src by the ziggurat
// method: one 64-bit draw gives the layer (7 bits) and a signed 32-bit
// abscissa, accepted at once about 99 % of the time (this part is inlined).
func Normal(src *SplitMix) float64 {
	u := src.Uint64()
	i, j := u&(zigLayers-1), int32(u>>32)
	if uint32(absInt32(j)) < zigK[i] {
		return float64(j) * zigW[i]
	}
	return normalSlow(src, u)
}

// normalSlow finishes Normal for a draw u outside its layer's rectangle.
func normalSlow(src *SplitMix, u uint64) float64 {
	for {
		i, j := u&(zigLayers-1), int32(u>>32)
		x := float64(j) * zigW[i]
		if uint32(absInt32(j)) < zigK[i] {
			return x
		}
		if i == 0 {
			// The tail beyond zigR (Marsaglia's method).
			for {
				t := -math.Log(unit(src)) * zigInvR
				y := -math.Log(unit(src))
				if y+y >= t*t {
					if j > 0 {
						return zigR + t
					}
					return -zigR - t
				}
			}
		}
		// The wedge between the rectangle and the density.
		if zigF[i]+unit(src)*(zigF[i-1]-zigF[i]) < math.Exp(-0.5*x*x) {
			return x
		}
		u = src.Uint64()
	}
}

// unit returns a uniform number in (0, 1].
func unit(src *SplitMix) float64 {
	return float64(src.Uint64()>>11+1) * (1.0 / (1 << 53))
}

func absInt32(j int32) int64 {
	v := int64(j)
	if v < 0 {
		return -v
	}
	return v
}

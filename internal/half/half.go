// Package half converts between float32 and IEEE 754 half precision
// (binary16), the compact weight format of generated networks.
package half

import "math"

// Max is the largest finite half-precision value.
const Max = 65504

// MinNormal is the smallest positive normal half-precision value, 2^-14.
const MinNormal = 1.0 / 16384

// FromFloat32 rounds f to the nearest half-precision value (ties to even).
// Values beyond Max become infinities; values below MinNormal lose
// precision (subnormals) or become zero.
func FromFloat32(f float32) uint16 {
	b := math.Float32bits(f)
	sign := uint16(b>>16) & 0x8000
	exp := int32(b>>23) & 0xff
	mant := b & 0x7fffff
	switch {
	case exp == 0xff: // inf or NaN
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	case exp-127 > 15: // overflow
		return sign | 0x7c00
	case exp-127 >= -14: // normal half
		e := uint32(exp - 127 + 15)
		h := e<<10 | mant>>13
		rest := mant & 0x1fff
		if rest > 0x1000 || (rest == 0x1000 && h&1 == 1) {
			h++ // may carry into the exponent, which is correct rounding
		}
		return sign | uint16(h)
	case exp-127 >= -25: // subnormal half
		m := mant | 0x800000 // implicit bit
		shift := uint32(-14-(exp-127)) + 13
		h := m >> shift
		rest := m & (1<<shift - 1)
		half := uint32(1) << (shift - 1)
		if rest > half || (rest == half && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	default:
		return sign
	}
}

// ToFloat32 returns the value of a normal half-precision number h (or of
// ±0 as ±2^-15: callers store only normal numbers). It uses only bit
// operations, for hot loops.
func ToFloat32(h uint16) float32 {
	return math.Float32frombits(uint32(h&0x8000)<<16 | (uint32(h&0x7fff)+(112<<10))<<13)
}

// ToFloat32Exact returns the value of any half-precision number.
func ToFloat32Exact(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case exp == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case exp == 0:
		v := float32(mant) / (1 << 24)
		if sign != 0 {
			return -v
		}
		return v
	}
	return ToFloat32(h)
}

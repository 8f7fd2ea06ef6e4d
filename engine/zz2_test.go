package engine

import (
	"fmt"
	"testing"
)

func BenchmarkZZKernel(b *testing.B) {
	for _, n := range []int{512, 4096, 16384, 40000} {
		for _, w := range []int{4, 8} {
			b.Run(fmt.Sprint(n, "/", w), func(b *testing.B) {
				v := make([]float64, n)
				iex := make([]float64, n)
				iin := make([]float64, n)
				ex := make([]float64, n)
				in := make([]float64, n)
				refr := make([]float64, n)
				mask := make([]uint8, n/4)
				var c kernelConsts
				vals := [11]float64{0.99, 0.001, 0.001, 0.0001, 0.8, 0.8, 15, 0, 20, 1, 300}
				for i, x := range vals {
					c[i] = [4]float64{x, x, x, x}
				}
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if w == 8 {
						updateAVX512(&v[0], &iex[0], &iin[0], nil, &ex[0], &in[0], &refr[0], &mask[0], n, &c)
					} else {
						updateAVX2(&v[0], &iex[0], &iin[0], nil, &ex[0], &in[0], &refr[0], &mask[0], n, &c)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/neuron")
			})
		}
	}
}

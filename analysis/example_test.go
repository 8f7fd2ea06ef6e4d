package analysis_test

import (
	"fmt"

	"github.com/pd14/microcircuit/analysis"
)

func ExampleKS() {
	a := []float64{0.1, 0.2, 0.3, 0.4}
	b := []float64{0.3, 0.4, 0.5, 0.6}
	fmt.Println(analysis.KS(a, b))
	// Output: 0.5
}

func ExampleCVs() {
	s, _ := analysis.NewSpikes([]string{"A"}, []int{1}, []int{2},
		[]int{1, 1, 1, 1, 2, 2, 2}, []float64{10, 20, 30, 40, 10, 11, 30})
	fmt.Printf("%.3f\n", analysis.CVs(s, analysis.Window{TMin: 0, TMax: 100})[0])
	// Output: [0.000 0.900]
}

package engine

import (
	"slices"
	"testing"
)

// TestWorkerBounds checks the workers' shares: equal, with boundaries
// moved onto 1024-neuron pages where that costs little balance.
func TestWorkerBounds(t *testing.T) {
	for _, tc := range []struct {
		n, w int
		want []int
	}{
		{15435, 2, []int{0, 8192, 15435}},       // scale 0.2: 7717 moves by 475
		{77169, 2, []int{0, 38912, 77169}},      // full scale: 38584 moves by 328
		{1003, 2, []int{0, 501, 1003}},          // too small to move
		{10000, 3, []int{0, 3072, 6666, 10000}}, // 6666 would move by 502 > 416
		{5, 1, []int{0, 5}},
	} {
		if got := workerBounds(tc.n, tc.w); !slices.Equal(got, tc.want) {
			t.Errorf("workerBounds(%d, %d) = %v, want %v", tc.n, tc.w, got, tc.want)
		}
	}
}

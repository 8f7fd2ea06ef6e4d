package cluster

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
)

// onRanks runs f on every rank of an in-process Comm of n ranks.
func onRanks(n int, f func(c *Comm)) {
	var wg sync.WaitGroup
	for _, c := range InProcess(n) {
		wg.Add(1)
		go func(c *Comm) {
			defer wg.Done()
			f(c)
		}(c)
	}
	wg.Wait()
}

func TestAllgather(t *testing.T) {
	defer func(m int) { maxRound = m }(maxRound)
	for _, round := range []int{1 << 30, 24} { // 24 bytes: many rounds
		maxRound = round
		onRanks(3, func(c *Comm) {
			// Rank r sends r*5 float64s (none from rank 0) and 7-r int16s.
			f := make([]float64, 5*c.Rank())
			for i := range f {
				f[i] = float64(100*c.Rank() + i)
			}
			all, counts := Allgather(c, f)
			if !slices.Equal(counts, []int{0, 5, 10}) || len(all) != 15 {
				t.Errorf("rank %d: counts %v, %d values", c.Rank(), counts, len(all))
				return
			}
			for i, v := range all {
				want := float64(100 + i)
				if i >= 5 {
					want = float64(200 + i - 5)
				}
				if v != want {
					t.Errorf("rank %d, round %d bytes: value %d is %v, want %v", c.Rank(), round, i, v, want)
					return
				}
			}
			s := make([]int16, 7-c.Rank())
			for i := range s {
				s[i] = int16(-c.Rank())
			}
			got, _ := Allgather(c, s)
			want := []int16{0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, -1, -1, -2, -2, -2, -2, -2}
			if !slices.Equal(got, want) {
				t.Errorf("rank %d: int16s %v", c.Rank(), got)
			}
		})
	}
}

// TestExchangeSpikes exchanges random spike lists, some beyond the block
// capacity, for many steps: every rank must get every rank's list in rank
// order, and the stop flag of any rank.
func TestExchangeSpikes(t *testing.T) {
	const steps = 4 * shrinkEvery
	lists := make([][][]uint32, 4) // per rank, per step
	r := rand.New(rand.NewPCG(1, 1))
	for rank := range lists {
		for step := 0; step < steps; step++ {
			n := r.IntN(8)
			switch {
			case step%500 == 7 && step < 2*shrinkEvery:
				n = 1000 + r.IntN(100) // far beyond the capacity
			case step > 2*shrinkEvery:
				n = r.IntN(2) // a quiet stretch: the capacity shrinks
			}
			l := make([]uint32, n)
			for i := range l {
				l[i] = r.Uint32()
			}
			lists[rank] = append(lists[rank], l)
		}
	}
	onRanks(4, func(c *Comm) {
		var all []uint32
		for step := 0; step < steps; step++ {
			stop := step%97 == c.Rank()
			var any bool
			all, any = c.ExchangeSpikes(lists[c.Rank()][step], stop, all)
			var want []uint32
			for rank := range lists {
				want = append(want, lists[rank][step]...)
			}
			if !slices.Equal(all, want) || any != (step%97 < 4) {
				t.Errorf("rank %d, step %d: %d spikes (want %d), stop %v", c.Rank(), step, len(all), len(want), any)
				return
			}
		}
		if c.x.capacity > minCapacity {
			t.Errorf("rank %d: capacity %d after a quiet stretch", c.Rank(), c.x.capacity)
		}
	})
}

func TestAgree(t *testing.T) {
	onRanks(3, func(c *Comm) {
		if err := c.Agree(nil); err != nil {
			t.Errorf("rank %d: %v with no error anywhere", c.Rank(), err)
		}
		var mine error
		if c.Rank() >= 1 {
			mine = errors.New("disk full on rank " + string(rune('0'+c.Rank())))
		}
		err := c.Agree(mine)
		var ae *AgreedError
		if !errors.As(err, &ae) || ae.Rank != 1 || !strings.HasPrefix(err.Error(), "rank 1: disk full on rank 1") {
			t.Errorf("rank %d: %v, want rank 1's error", c.Rank(), err)
		}
		if c.Rank() == 1 && !errors.Is(err, mine) {
			t.Errorf("rank 1: the agreed error does not wrap its own")
		}
	})
	if err := Self().Agree(errors.New("x")); err == nil || err.Error() != "x" {
		t.Fatalf("one rank: %v", err)
	}
}

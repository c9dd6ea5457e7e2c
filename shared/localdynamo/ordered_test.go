package localdynamo

import (
	"math/big"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// TestOrderedAgainstASortedSlice: random inserts and removals, many chunks' worth, keep the set equal
// to a sorted slice of the same entries, walked forwards and backwards, and first finds where an
// entry goes.
func TestOrderedAgainstASortedSlice(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var o ordered
	var want []entry
	mk := func(i int) entry {
		return entry{hash: keyPart{s: strconv.Itoa(i % 7)}, rng: keyPart{n: big.NewRat(int64(i), 3)}, id: strconv.Itoa(i)}
	}
	for step := range 20 * chunkMax {
		e := mk(rng.IntN(5 * chunkMax))
		i, found := slices.BinarySearchFunc(want, e, entry.cmp)
		if step%3 == 2 {
			o.remove(e)
			if found {
				want = slices.Delete(want, i, i+1)
			}
			continue
		}
		o.insert(e)
		if !found {
			want = slices.Insert(want, i, e)
		}
	}
	if len(o.chunks) < 3 {
		t.Fatalf("%d chunks: the test should span several", len(o.chunks))
	}
	var got []entry
	for p := (pos{}); o.valid(p); p = o.next(p) {
		got = append(got, o.at(p))
	}
	if !slices.EqualFunc(got, want, func(a, b entry) bool { return a.cmp(b) == 0 }) || o.len() != len(want) {
		t.Fatalf("forwards: %d entries (len %d), want %d", len(got), o.len(), len(want))
	}
	got = got[:0]
	for p, ok := o.prev(pos{len(o.chunks), 0}); ok; p, ok = o.prev(p) {
		got = append(got, o.at(p))
	}
	slices.Reverse(got)
	if !slices.EqualFunc(got, want, func(a, b entry) bool { return a.cmp(b) == 0 }) {
		t.Fatalf("backwards: %d entries, want %d", len(got), len(want))
	}
	for _, ch := range o.chunks {
		if len(ch) == 0 || len(ch) > chunkMax {
			t.Fatalf("a chunk of %d entries", len(ch))
		}
	}
	for range 200 {
		e := mk(rng.IntN(5 * chunkMax))
		i, _ := slices.BinarySearchFunc(want, e, entry.cmp)
		p := o.first(func(x entry) bool { return x.cmp(e) >= 0 })
		if i == len(want) {
			if o.valid(p) {
				t.Fatalf("first(%v) = %v, want past the end", e, o.at(p))
			}
			continue
		}
		if !o.valid(p) || o.at(p).cmp(want[i]) != 0 {
			t.Fatalf("first(%v) is not the %d-th entry", e, i)
		}
	}
}

// TestKeyPartOrder: numbers order by value and equal numbers are one key; strings by their bytes.
func TestKeyPartOrder(t *testing.T) {
	num := func(s string) keyPart { r, _ := new(big.Rat).SetString(s); return keyPart{n: r} }
	if num("9").cmp(num("10")) >= 0 || num("-1.5").cmp(num("1e-3")) >= 0 {
		t.Error("numbers do not order by value")
	}
	if num("1").canonical() != num("1.00").canonical() {
		t.Error("1 and 1.00 are two keys")
	}
	if (keyPart{s: "B"}).cmp(keyPart{s: "a"}) >= 0 || (keyPart{s: "a"}).cmp(keyPart{s: "ab"}) >= 0 {
		t.Error("strings do not order by their bytes")
	}
}

package localdynamo

import (
	"math/big"
	"sort"
	"strings"
)

// keyPart is the value of one key attribute, compared as DynamoDB orders keys: numbers by value,
// strings and binaries by their bytes.
type keyPart struct {
	s string   // an S, or the bytes of a B
	n *big.Rat // an N
}

func (a keyPart) cmp(b keyPart) int {
	if a.n != nil && b.n != nil {
		return a.n.Cmp(b.n)
	}
	return strings.Compare(a.s, b.s)
}

// canonical is the part as one string: equal numbers (1, 1.0) give the same.
func (a keyPart) canonical() string {
	if a.n != nil {
		return "N" + a.n.RatString()
	}
	return "S" + a.s
}

// entry places an item in an order: the table's own (id empty) or an index's, where id, the item's
// table key, tells apart the items of equal index keys.
type entry struct {
	hash, rng keyPart
	id        string
}

func (a entry) cmp(b entry) int {
	if c := a.hash.cmp(b.hash); c != 0 {
		return c
	}
	if c := a.rng.cmp(b.rng); c != 0 {
		return c
	}
	return strings.Compare(a.id, b.id)
}

// chunkMax bounds a chunk of an ordered set: an insert or a removal moves at most this many entries.
const chunkMax = 256

// ordered is a sorted set of entries kept in chunks, so that an insert, a removal and a seek cost
// O(log n + chunkMax) however large the set grows.
type ordered struct {
	chunks [][]entry
}

// pos is a place in an ordered set; pos{len(chunks), 0} is past the end.
type pos struct{ c, i int }

// first is the place of the first entry for which above holds (above must be false and then true
// along the order), past the end if none.
func (o *ordered) first(above func(entry) bool) pos {
	c := sort.Search(len(o.chunks), func(c int) bool { ch := o.chunks[c]; return above(ch[len(ch)-1]) })
	if c == len(o.chunks) {
		return pos{c, 0}
	}
	return pos{c, sort.Search(len(o.chunks[c]), func(i int) bool { return above(o.chunks[c][i]) })}
}

func (o *ordered) len() int {
	n := 0
	for _, ch := range o.chunks {
		n += len(ch)
	}
	return n
}

func (o *ordered) valid(p pos) bool { return p.c < len(o.chunks) }

func (o *ordered) at(p pos) entry { return o.chunks[p.c][p.i] }

// next is the place after p (p must be valid).
func (o *ordered) next(p pos) pos {
	if p.i+1 < len(o.chunks[p.c]) {
		return pos{p.c, p.i + 1}
	}
	return pos{p.c + 1, 0}
}

// prev is the place before p, and false at the start.
func (o *ordered) prev(p pos) (pos, bool) {
	if p.i > 0 {
		return pos{p.c, p.i - 1}, true
	}
	if p.c == 0 {
		return pos{}, false
	}
	return pos{p.c - 1, len(o.chunks[p.c-1]) - 1}, true
}

func (o *ordered) insert(e entry) {
	p := o.first(func(x entry) bool { return x.cmp(e) >= 0 })
	if o.valid(p) && o.at(p).cmp(e) == 0 {
		return
	}
	if len(o.chunks) == 0 {
		o.chunks = [][]entry{{e}}
		return
	}
	if p.c == len(o.chunks) { // after the last entry
		p = pos{p.c - 1, len(o.chunks[p.c-1])}
	}
	ch := append(o.chunks[p.c], entry{})
	copy(ch[p.i+1:], ch[p.i:])
	ch[p.i] = e
	if len(ch) <= chunkMax {
		o.chunks[p.c] = ch
		return
	}
	half := len(ch) / 2
	low, high := ch[:half:half], append([]entry(nil), ch[half:]...)
	o.chunks = append(o.chunks, nil)
	copy(o.chunks[p.c+2:], o.chunks[p.c+1:])
	o.chunks[p.c], o.chunks[p.c+1] = low, high
}

func (o *ordered) remove(e entry) {
	p := o.first(func(x entry) bool { return x.cmp(e) >= 0 })
	if !o.valid(p) || o.at(p).cmp(e) != 0 {
		return
	}
	ch := o.chunks[p.c]
	copy(ch[p.i:], ch[p.i+1:])
	ch[len(ch)-1] = entry{}
	ch = ch[:len(ch)-1]
	if len(ch) > 0 {
		o.chunks[p.c] = ch
		return
	}
	o.chunks = append(o.chunks[:p.c], o.chunks[p.c+1:]...)
}

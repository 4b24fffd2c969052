package metalink

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestAppendAllURLs checks the unfiltered URL list against the plain rule
// it is a faster form of: each URL of each listed mirror, the k-th mirror
// with a URL at preference max(100 − k, 1) (Metalink 4: priority 101
// minus that), in both formats, past the 99th mirror, with private
// mirrors and mirrors that have no URL among them.
func TestAppendAllURLs(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	mirrors := make([]mirror, 260)
	for i := range mirrors {
		m := &mirrors[i]
		m.Country, m.Hidden = []string{"DE", "US", "JP"}[i%3], i%7 == 0
		for j := range i % 4 { // 0 to 3 URLs
			base := fmt.Sprintf("https://m%d.example/u%d", i, j)
			m.URLs = append(m.URLs, mirrorURL{Scheme: []string{"https", "http", "rsync"}[j%3], Base: base, BaseXML: base})
		}
	}
	p3 := make([][]urlPiece, len(mirrors))
	p4 := make([][]urlPiece, len(mirrors))
	for i := range mirrors {
		p3[i], p4[i] = urlPiecesOf(&mirrors[i]), meta4PiecesOf(&mirrors[i])
	}
	const tail = "d/repodata/repomd.xml</url>\n"
	for _, n := range []int{0, 1, 99, 100, 150, 260} {
		perm := r.Perm(len(mirrors))[:n]
		sel := make([]mirrorID, n)
		for i, id := range perm {
			sel[i] = mirrorID(id)
		}
		for _, format := range []struct {
			name   string
			pieces [][]urlPiece
			prefs  []string
			value  func(pref int) int
		}{
			{"metalink 3.0", p3, prefText[:], func(p int) int { return p }},
			{"metalink 4", p4, priorityText[:], func(p int) int { return 101 - p }},
		} {
			var want []byte
			k := 0
			for _, id := range sel {
				if len(format.pieces[id]) == 0 {
					continue
				}
				v := strconv.Itoa(format.value(max(100-k, 1)))
				for _, p := range format.pieces[id] {
					want = append(want, p.open+v+p.mid+tail...)
				}
				k++
			}
			got := appendAllURLs(nil, format.pieces, nil, sel, format.prefs, tail)
			if string(got) != string(want) {
				t.Errorf("%s, %d mirrors listed: got\n%s\nwant\n%s", format.name, n, got, want)
			}
		}
	}
}

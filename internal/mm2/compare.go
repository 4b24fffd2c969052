package mm2

import (
	"fmt"
	"slices"
	"strings"

	"github.com/metalinkd/metalinkd/store"
)

// Difference is one way two answers to the same query differ.
type Difference struct {
	Query string // the query both servers were sent
	What  string
}

func (d Difference) String() string { return d.Query + ": " + d.What }

// Tier is a run of consecutive mirrors of one class in an answer.
type Tier struct {
	Class string // private, country, continent, global, listed
	Count int
}

func (t Tier) String() string { return fmt.Sprintf("%s×%d", t.Class, t.Count) }

// Tiers returns the classes of an answer's mirrors, run by run, for a
// client of country (empty when the query named none). The random shuffle
// within a selection step changes the order of mirrors of one class, never
// the runs, so two servers following the same rules give the same tiers.
func Tiers(a *Answer, country string) []Tier {
	var out []Tier
	for _, m := range a.Mirrors {
		c := class(m, country)
		if n := len(out); n > 0 && out[n-1].Class == c {
			out[n-1].Count++
			continue
		}
		out = append(out, Tier{Class: c, Count: 1})
	}
	return out
}

// class names what listed a mirror, as far as the answer shows it.
func class(m ListedMirror, country string) string {
	switch {
	case m.Private:
		return "private"
	case country == "" || m.Country == "":
		return "listed"
	case m.Country == country:
		return "country"
	case store.Continent(country) != "" && store.Continent(m.Country) == store.Continent(country):
		return "continent"
	default:
		return "global"
	}
}

// CompareAnswers reports how ours differs from the reference's answer to
// query: an error on one side only, the set of mirrors (by host), the
// number of alternates, and the tiers (see Tiers).
func CompareAnswers(query, country string, ref, ours *Answer) []Difference {
	var out []Difference
	add := func(format string, args ...any) {
		out = append(out, Difference{Query: query, What: fmt.Sprintf(format, args...)})
	}
	switch {
	case ref.Error != "" && ours.Error != "":
		return nil
	case ref.Error != "":
		add("the reference answers %q, ours lists %d mirrors", ref.Error, len(ours.Mirrors))
		return out
	case ours.Error != "":
		add("ours answers %q, the reference lists %d mirrors", ours.Error, len(ref.Mirrors))
		return out
	}
	refHosts, ourHosts := ref.Hosts(), ours.Hosts()
	if only := minus(refHosts, ourHosts); len(only) > 0 {
		add("only the reference lists %s", strings.Join(only, " "))
	}
	if only := minus(ourHosts, refHosts); len(only) > 0 {
		add("only ours lists %s", strings.Join(only, " "))
	}
	if ref.Alternates != ours.Alternates {
		add("the reference lists %d alternates, ours %d", ref.Alternates, ours.Alternates)
	}
	if rt, ot := Tiers(ref, country), Tiers(ours, country); !slices.Equal(rt, ot) {
		add("order: the reference lists %s, ours %s", tierString(rt), tierString(ot))
	}
	return out
}

func tierString(ts []Tier) string {
	parts := make([]string, len(ts))
	for i, t := range ts {
		parts[i] = t.String()
	}
	if len(parts) == 0 {
		return "nothing"
	}
	return strings.Join(parts, ", ")
}

// minus returns the members of a not in b, sorted.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	slices.Sort(out)
	return out
}

package clientinit

import (
	"strings"
)

// locationParam is what every metalink URL must end with: dnf replaces
// $location with the content of the location vars file.
const locationParam = "location=$location"

// addLocation returns content with every metalink= line ending in
// &location=$location, and whether anything changed. Lines that are not
// metalink= settings (comments, other keys, continuation lines), line
// endings and trailing blanks are kept byte for byte.
func addLocation(content string) (string, bool) {
	lines := strings.SplitAfter(content, "\n")
	changed := false
	for i, line := range lines {
		body := strings.TrimRight(line, " \t\r\n")
		fixed := fixMetalinkLine(body)
		if fixed != body {
			lines[i] = fixed + line[len(body):]
			changed = true
		}
	}
	if !changed {
		return content, false
	}
	return strings.Join(lines, ""), true
}

// fixMetalinkLine returns a "metalink = URL" line with locationParam at the
// end of URL's query, any other location= parameter dropped, and every
// other line as it is.
func fixMetalinkLine(line string) string {
	key, value, ok := strings.Cut(line, "=")
	if !ok || strings.TrimRight(key, " \t") != "metalink" {
		return line
	}
	url := strings.TrimLeft(value, " \t")
	if url == "" || strings.HasSuffix(url, "&"+locationParam) || strings.HasSuffix(url, "?"+locationParam) {
		return line
	}
	prefix := line[:len(line)-len(url)]
	base, query, hasQuery := strings.Cut(url, "?")
	if !hasQuery {
		return prefix + base + "?" + locationParam
	}
	var kept []string
	for _, param := range strings.Split(query, "&") {
		if name, _, _ := strings.Cut(param, "="); name != "location" {
			kept = append(kept, param)
		}
	}
	kept = append(kept, locationParam)
	if kept[0] == "" && len(kept) == 2 {
		kept = kept[1:] // "URL?" had an empty query
	}
	return prefix + base + "?" + strings.Join(kept, "&")
}

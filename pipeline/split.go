package pipeline

import (
	"bytes"
	"runtime"
	"sync"
	"sync/atomic"

	yaml "go.yaml.in/yaml/v3"
)

// A large pipeline's YAML is parsed in pieces side by side: most of its
// text is the entries of stages:, and each run of whole entries is a YAML
// document of its own. This file finds where the entries start from the
// text alone, parses the runs of entries and the rest of the file at once,
// and splices the runs back under stages:.
//
// It does so only where that is sure to give the nodes one parse of the
// whole file gives (positions included; comments aside, which the pipeline
// never reads), and otherwise declines: the caller then parses the whole
// file, so every error is the whole parse's own. The conditions:
//
//   - the text is UTF-8 with \n line breaks and no byte-order mark, NUL,
//     tab in any line's indentation, directive (%), document marker (---,
//     ...), or line indented 1000 columns or more (yaml's depth limit
//     counts one level more in the whole file than in a piece);
//   - stages: is a line of its own at column 1 (a comment may follow), and
//     every line between it and the next line at column 1 that is not a
//     comment is blank, a comment, indented more than the first entry, or
//     an entry: indented as the first one, a stage name, a colon, then a
//     space or the end of the line;
//   - every piece parses, the rest of the file has stages: as a key of its
//     block root mapping at that line with nothing as its value, and each
//     run is a block mapping whose keys are exactly its entry lines.
//
// Why a run parses alone as it does in the whole file: a run starts at an
// entry line and ends before the next. Within stages: a line at the
// entries' indentation cannot continue a plain or block scalar (yaml ends
// those at or left of their mapping's column), so any construct that would
// carry on past a run's end is a quoted scalar or a flow collection, which
// a piece that ends in it fails to parse. Anchors are per piece: an alias
// to an anchor in another piece fails to parse too. A run starts at the
// start of a line, so its columns are the file's, and its lines are moved
// down by the lines before it; the rest of the file keeps the entries'
// lines, empty, so its lines are the file's too.

// splitMin is the size from which a pipeline is parsed in pieces.
var splitMin = 32 << 10

// parseYAML parses a pipeline's text into a document node.
func parseYAML(data []byte) (*yaml.Node, error) {
	if n := runtime.GOMAXPROCS(0); n > 1 && len(data) >= splitMin {
		if doc := parseSplit(data, min(n, 8)); doc != nil {
			return doc, nil
		}
	}
	var doc yaml.Node
	err := yaml.Unmarshal(data, &doc)
	return &doc, err
}

// stagesBlock is where the entries of stages: are in the text.
type stagesBlock struct {
	key     int   // line of stages:, 0-based
	indent  int   // the entries' indentation
	entries []int // each entry's first line
	end     int   // first line after the entries
	lines   []int // offset of each line's start, and len(data)
}

// parseSplit parses data in runs of stage entries and the rest of the file,
// on up to workers goroutines, or returns nil when it cannot (see above).
// There are several runs per worker, each taken by the first worker free:
// on a busy machine, a worker whose thread waits for a core holds up one
// small run, not half the file.
func parseSplit(data []byte, workers int) *yaml.Node {
	b := findStages(data)
	if b == nil || len(b.entries) < 2 {
		return nil
	}
	// Runs of entries of about equal size.
	pieces := 4 * workers
	runs := make([][2]int, 0, pieces) // first entry, entry after the last
	size := b.lines[b.end] - b.lines[b.entries[0]]
	first := 0
	for e := range b.entries {
		if e == len(b.entries)-1 || b.lines[b.entries[e+1]]-b.lines[b.entries[first]] >= size/pieces {
			runs = append(runs, [2]int{first, e + 1})
			first = e + 1
		}
	}

	docs := make([]*yaml.Node, len(runs))
	var next atomic.Int32
	work := func() {
		for i := int(next.Add(1)) - 1; i < len(runs); i = int(next.Add(1)) - 1 {
			docs[i] = b.parseRun(data, runs[i])
		}
	}
	var wg sync.WaitGroup
	for range min(workers, len(runs)) - 1 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work()
		}()
	}
	rest := b.parseRest(data)
	work()
	wg.Wait()
	if rest == nil {
		return nil
	}
	stages := docs[0]
	for _, d := range docs {
		if d == nil {
			return nil
		}
		if d != stages {
			stages.Content = append(stages.Content, d.Content...)
		}
	}
	root := rest.Content[0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; k.Line == b.key+1 && k.Value == "stages" {
			root.Content[i+1] = stages
		}
	}
	return rest
}

// findStages finds the entries of stages: in data, or returns nil when the
// text does not meet the conditions above.
func findStages(data []byte) *stagesBlock {
	for _, bad := range []string{"\r", "\x00", "\xef\xbb\xbf", "\u0085", "\u2028", "\u2029"} {
		if bytes.Contains(data, []byte(bad)) {
			return nil
		}
	}
	b := &stagesBlock{key: -1, indent: -1, end: -1}
	line := 0
	for off := 0; off < len(data); line++ {
		b.lines = append(b.lines, off)
		next := len(data)
		if i := bytes.IndexByte(data[off:], '\n'); i >= 0 {
			next = off + i + 1
		}
		l := data[off:next]
		off = next
		indent := 0
		for indent < len(l) && l[indent] == ' ' {
			indent++
		}
		rest := bytes.TrimRight(l[indent:], "\n")
		switch {
		case len(rest) > 0 && rest[0] == '\t', indent >= 1000:
			return nil
		case indent == 0 && (bytes.HasPrefix(rest, []byte("%")) || bytes.HasPrefix(rest, []byte("---")) || bytes.HasPrefix(rest, []byte("..."))):
			return nil
		case len(rest) == 0 || rest[0] == '#' || b.end >= 0:
			// blank, a comment, or past the entries
		case indent == 0 && b.key < 0 && bytes.HasPrefix(rest, []byte("stages:")):
			if tail := bytes.TrimLeft(rest[len("stages:"):], " "); len(tail) > 0 && (tail[0] != '#' || len(tail) == len(rest)-len("stages:")) {
				return nil // a value on the key's line, or a comment not after a space
			}
			b.key = line
		case b.key < 0:
			// before stages:
		case indent == 0:
			if len(b.entries) == 0 {
				return nil
			}
			b.end = line
		case b.indent < 0 || indent == b.indent:
			if !isEntry(rest) {
				return nil
			}
			b.indent = indent
			b.entries = append(b.entries, line)
		case indent < b.indent:
			return nil
		}
	}
	b.lines = append(b.lines, len(data))
	if len(b.entries) == 0 {
		return nil
	}
	if b.end < 0 {
		b.end = line
	}
	return b
}

// isEntry reports whether an entry line (its indentation removed) is a stage
// name, a colon, then a space or the end of the line.
func isEntry(l []byte) bool {
	i := bytes.IndexByte(l, ':')
	return i > 0 && stageName.MatchString(string(l[:i])) && (i+1 == len(l) || l[i+1] == ' ')
}

// parseRun parses the entries run[0] to run[1]-1 as a document of their own,
// and returns its mapping, or nil.
func (b *stagesBlock) parseRun(data []byte, run [2]int) *yaml.Node {
	from := b.entries[run[0]]
	to := b.end
	if run[1] < len(b.entries) {
		to = b.entries[run[1]]
	}
	doc := parsePiece(data[b.lines[from]:b.lines[to]])
	if doc == nil {
		return nil
	}
	m := doc.Content[0]
	shiftLines(m, from)
	if m.Kind != yaml.MappingNode || m.Style&yaml.FlowStyle != 0 || len(m.Content) != 2*(run[1]-run[0]) {
		return nil
	}
	for i := 0; i < len(m.Content); i += 2 {
		if k := m.Content[i]; k.Line != b.entries[run[0]+i/2]+1 || k.Column != b.indent+1 || k.Kind != yaml.ScalarNode {
			return nil
		}
	}
	return m
}

// shiftLines moves n and the nodes under it down by lines: a run is parsed
// from its first line, which is line lines+1 of the file. (Each node is in
// one Content: an alias is a node of its own.)
func shiftLines(n *yaml.Node, lines int) {
	n.Line += lines
	for _, c := range n.Content {
		shiftLines(c, lines)
	}
}

// parseRest parses the file with the entries' lines left empty, and returns
// its document if stages: is a key of its block root mapping with nothing
// as its value, or nil.
func (b *stagesBlock) parseRest(data []byte) *yaml.Node {
	from, to := b.lines[b.entries[0]], b.lines[b.end]
	text := make([]byte, 0, from+(b.end-b.entries[0])+len(data)-to)
	text = append(text, data[:from]...)
	for range b.end - b.entries[0] {
		text = append(text, '\n')
	}
	text = append(text, data[to:]...)
	doc := parsePiece(text)
	if doc == nil {
		return nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode || root.Style&yaml.FlowStyle != 0 {
		return nil
	}
	found := 0
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "stages" {
			continue
		}
		if k.Line != b.key+1 || k.Column != 1 || k.Kind != yaml.ScalarNode || k.Tag != "!!str" ||
			v.Kind != yaml.ScalarNode || v.Tag != "!!null" || v.Value != "" || v.Anchor != "" {
			return nil
		}
		found++
	}
	if found != 1 {
		return nil
	}
	return doc
}

// parsePiece parses one piece, or returns nil if it is not one document.
// A panic of the YAML library is taken as a failure too: the whole parse
// might have stopped at an error before the text that causes it.
func parsePiece(text []byte) (doc *yaml.Node) {
	defer func() {
		if recover() != nil {
			doc = nil
		}
	}()
	var d yaml.Node
	if yaml.Unmarshal(text, &d) != nil || len(d.Content) != 1 {
		return nil
	}
	return &d
}

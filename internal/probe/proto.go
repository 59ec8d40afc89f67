package probe

// Request is one line on the probe's stdin.
type Request struct {
	ID int    `json:"id"`
	Op string `json:"op"` // alloc, hold, free, taken, watch, stop
	// N is how many ports alloc picks.
	N int `json:"n,omitempty"`
	// Ports are the ports of hold (one), free and taken.
	Ports []int `json:"ports,omitempty"`
	// WaitMS bounds how long hold waits for another build's hold.
	WaitMS int `json:"wait_ms,omitempty"`
	// Checks are what watch checks, every IntervalMS.
	Checks     []Check `json:"checks,omitempty"`
	IntervalMS int     `json:"interval_ms,omitempty"`
	// Watch is the id of the watch that stop ends.
	Watch int `json:"watch,omitempty"`
}

// Check is one network check of a watch: a TCP connect to Port, or, with
// Path set, an HTTP GET of Path on Port. Both on 127.0.0.1.
type Check struct {
	Port int    `json:"port"`
	Path string `json:"path,omitempty"`
}

// Result is one check's latest outcome: Err when it could not connect (or
// the answer was no HTTP), else the HTTP status and body (the first MiB).
type Result struct {
	Err    string `json:"err,omitempty"`
	Status int    `json:"status,omitempty"`
	Body   []byte `json:"body,omitempty"`
}

// Response is one line on the probe's stdout. A watch answers with a
// Response each time its results change, until it is stopped.
type Response struct {
	ID int `json:"id"`
	// Error is why the request failed; Code says which failure it is
	// (CodeInUse, CodeHeld, CodeNoPort), empty for any other.
	Error   string   `json:"error,omitempty"`
	Code    string   `json:"code,omitempty"`
	Ports   []int    `json:"ports,omitempty"`
	Taken   []int    `json:"taken,omitempty"`
	Results []Result `json:"results,omitempty"`
	// Done ends a watch's answers.
	Done bool `json:"done,omitempty"`
}

// The failures a client tells apart.
const (
	// CodeInUse: hold's port is taken by something that is not a build.
	CodeInUse = "in_use"
	// CodeHeld: hold's port stayed held by another build for WaitMS.
	CodeHeld = "held"
	// CodeNoPort: alloc found no free port.
	CodeNoPort = "no_port"
)

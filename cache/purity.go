package cache

// Purity is what must not be found in a gated image: the packages and paths
// that the pipeline only gives to test and dev stages.
type Purity struct {
	// Packages are normalised Python distribution names declared only by
	// manifests copied into test-only stages.
	Packages []string `json:"packages,omitempty"`
	// Paths are image paths that only test-only stages copy.
	Paths []string `json:"paths,omitempty"`
	// Installs are test-only stages whose run steps install packages; what
	// each installs beyond its parent stage is forbidden too.
	Installs []Install `json:"installs,omitempty"`
}

// Install is a test-only stage with run steps, and the stage it starts from.
type Install struct {
	Stage  string `json:"stage"`
	Parent string `json:"parent"`
}

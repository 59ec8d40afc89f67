package testenv

import (
	"context"
	"testing"
)

// TestListTagsLive runs against the registry Up starts (make test brings it up).
func TestListTagsLive(t *testing.T) {
	ctx := context.Background()
	if up, err := registryUp(ctx); err != nil || !up {
		t.Fatalf("no registry on %s (run `make env`): %v", RegistryAddr, err)
	}
	tags, err := ListTags(ctx, "library/does-not-exist")
	if err != nil || len(tags) != 0 {
		t.Errorf("missing repo: tags %v, err %v; want none, nil", tags, err)
	}
	tags, err = ListTags(ctx, "library/busybox")
	if err != nil {
		t.Fatal(err)
	}
	if len(tags) == 0 {
		t.Fatal("library/busybox is not in the registry (run `make env`)")
	}
	if !has(tags, "latest") {
		t.Errorf("library/busybox tags = %v, want latest", tags)
	}
}

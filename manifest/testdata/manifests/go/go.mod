module example.com/ingest

go 1.22.0

toolchain go1.22.4

require (
	example.com/shared v0.0.0
	github.com/google/uuid v1.6.0
	golang.org/x/sync v0.7.0 // indirect
)

require gopkg.in/yaml.v3 v3.0.1

replace example.com/shared => ./shared // local module

package buildflags

// UsageError is an error in what the user typed: a flag, an argument, a
// spec, or a value the environment gave in a flag's place
// (SOURCE_DATE_EPOCH). The CLI exits 2 on it.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usage marks err as a usage error; nil stays nil.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return &UsageError{err}
}

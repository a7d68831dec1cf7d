package report

import (
	"fmt"
	"io"

	"github.com/mcpstress/mcpstress/internal/atomicfile"
)

// WriteFileAtomic writes a file so that readers see either the old content
// or the complete new one, never a torn file (see package
// internal/atomicfile).
func WriteFileAtomic(path string, write func(w io.Writer) error) error {
	if err := atomicfile.Write(path, write); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

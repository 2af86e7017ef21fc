// Loads a Compose file as `docker compose` does, with compose-go (the library Docker Compose is
// built on): the schema, interpolation from the environment, merge keys, references between
// services, secrets and volumes. Prints the resolved project as JSON, or the loader's error and
// exit status 1. tests/security/test_compose_file.py runs it: this project's machines have no
// Docker engine, and a file that only looks right is not enough.
//
//	go run . <compose file>
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: composeloader <compose file>")
		os.Exit(2)
	}
	options, err := cli.NewProjectOptions([]string{os.Args[1]}, cli.WithOsEnv, cli.WithName("together"))
	if err == nil {
		var project any
		project, err = options.LoadProject(context.Background())
		if err == nil {
			encoder := json.NewEncoder(os.Stdout)
			encoder.SetIndent("", "  ")
			err = encoder.Encode(project)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

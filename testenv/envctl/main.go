// Command envctl brings stagebuild's hermetic test environment up or down.
//
//	go run ./testenv/envctl up     # install, build, start and push what tests need
//	go run ./testenv/envctl down   # stop the local registry and dockerd
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/stagebuild/stagebuild/testenv"
)

func main() {
	if len(os.Args) != 2 || (os.Args[1] != "up" && os.Args[1] != "down") {
		fmt.Fprintln(os.Stderr, "usage: envctl up|down")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "envctl:", err)
		os.Exit(1)
	}
}

func run(cmd string) error {
	if cmd == "down" {
		return testenv.Down("")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	start := time.Now()
	env, err := testenv.Up(ctx, testenv.Options{Log: os.Stderr})
	if err != nil {
		return err
	}
	fmt.Printf("registry          %s\n", env.RegistryAddr)
	fmt.Printf("python image      %s (docker.io mirror: %s/library/%s)\n", env.PythonImage, env.RegistryAddr, env.PythonImage)
	fmt.Printf("python, no CAs    %s (without the host's extra CAs, as pulled from Docker Hub)\n", env.PythonNoCAImage)
	fmt.Printf("busybox image     %s (docker.io mirror: %s/library/%s)\n", env.BusyboxImage, env.RegistryAddr, env.BusyboxImage)
	fmt.Printf("buildkitd         %s --config %s\n", env.BuildkitdBin, env.BuildkitdConfig)
	fmt.Printf("docker engine     DOCKER_HOST=%s\n", env.DockerHost)
	fmt.Printf("frontend image    %s\n", env.FrontendImage)
	fmt.Printf("buildx plugin     %s\n", env.BuildxPlugin)
	fmt.Printf("state dir         %s\n", env.StateDir)
	fmt.Printf("ready in          %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

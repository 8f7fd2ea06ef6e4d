package main

import (
	"github.com/spf13/cobra"
)

func configCmd() *cobra.Command {
	var f paramFlags
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the complete effective parameter set as YAML",
		Long: `Print the complete effective parameter set (simulation, network, stimulus)
as YAML. Saved to a file, it is accepted back by --config and gives the same run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := f.resolve(cmd)
			if err != nil {
				return err
			}
			out, err := p.YAML()
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(out)
			return err
		},
	}
	addParamFlags(cmd, &f)
	return cmd
}

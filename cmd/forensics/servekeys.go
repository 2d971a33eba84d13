package main

import (
	"context"
	"fmt"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"forensics/internal/termsafe"
	"forensics/serve"
)

// serveKeysOptions are the options of forensics serve keys add, revoke
// and list.
type serveKeysOptions struct {
	io           *ioStreams
	Action       string // add, revoke, list
	Gateway      string
	AdminKeyFile string
	Account      string // add
	ID, Hash     string // revoke
	JSON         bool
}

func newCmdServeKeys(io *ioStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys <command>",
		Short: "Add, revoke and list API keys on a running gateway, without a restart",
		Long: `API keys added or revoked here live in the gateway's state store (Redis,
shared by every replica, or state.dir on a single gateway): every replica
refuses a revoked key from its next request, a key of the YAML config
included. The gateway answers a new key once and stores only its hash.`,
	}
	cmd.AddCommand(newCmdServeKeysAdd(io, nil), newCmdServeKeysRevoke(io, nil), newCmdServeKeysList(io, nil))
	return cmd
}

func keysGatewayFlags(cmd *cobra.Command, opts *serveKeysOptions) {
	f := cmd.Flags()
	f.StringVar(&opts.Gateway, "gateway", "", "the gateway's URL (its admin_listen address, or its public one)")
	f.StringVar(&opts.AdminKeyFile, "admin-key-file", "", "a file holding an admin API key (one of admin_api_keys)")
	f.BoolVar(&opts.JSON, "json", false, "print the gateway's answer as JSON")
}

func newCmdServeKeysAdd(io *ioStreams, runF func(context.Context, *serveKeysOptions) error) *cobra.Command {
	opts := &serveKeysOptions{io: io, Action: "add"}
	cmd := &cobra.Command{
		Use:     "add --gateway URL --admin-key-file FILE --account NAME",
		Short:   "Make a new API key for an account (printed once)",
		Example: `  forensics serve keys add --gateway http://10.0.0.5:9090 --admin-key-file admin.key --account acme`,
		Args:    maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Account == "" {
				return usagef("--account is required")
			}
			return runServeKeys(cmd, opts, runF)
		},
	}
	keysGatewayFlags(cmd, opts)
	cmd.Flags().StringVar(&opts.Account, "account", "", "the account the key is for (one of the config's)")
	return cmd
}

func newCmdServeKeysRevoke(io *ioStreams, runF func(context.Context, *serveKeysOptions) error) *cobra.Command {
	opts := &serveKeysOptions{io: io, Action: "revoke"}
	cmd := &cobra.Command{
		Use:   "revoke --gateway URL --admin-key-file FILE (--id ID | --hash sha256:HEX)",
		Short: "Revoke an API key on every replica",
		Example: `  forensics serve keys revoke --gateway http://10.0.0.5:9090 --admin-key-file admin.key --id 3f2a9c01b7de
  forensics serve keys revoke --gateway http://10.0.0.5:9090 --admin-key-file admin.key --hash sha256:3f2a…`,
		Args: maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (opts.ID == "") == (opts.Hash == "") {
				return usagef("give one of --id and --hash")
			}
			return runServeKeys(cmd, opts, runF)
		},
	}
	keysGatewayFlags(cmd, opts)
	cmd.Flags().StringVar(&opts.ID, "id", "", "the key's id (as in keys list and the request log's api_key_id)")
	cmd.Flags().StringVar(&opts.Hash, "hash", "", "the key's hash (sha256:…, as in the config)")
	return cmd
}

func newCmdServeKeysList(io *ioStreams, runF func(context.Context, *serveKeysOptions) error) *cobra.Command {
	opts := &serveKeysOptions{io: io, Action: "list"}
	cmd := &cobra.Command{
		Use:     "list --gateway URL --admin-key-file FILE",
		Short:   "List the API keys (ids, accounts, created, revoked; never a key)",
		Example: `  forensics serve keys list --gateway http://10.0.0.5:9090 --admin-key-file admin.key --json`,
		Args:    maxArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runServeKeys(cmd, opts, runF)
		},
	}
	keysGatewayFlags(cmd, opts)
	return cmd
}

func runServeKeys(cmd *cobra.Command, opts *serveKeysOptions, runF func(context.Context, *serveKeysOptions) error) error {
	if opts.Gateway == "" || opts.AdminKeyFile == "" {
		return usagef("give --gateway and --admin-key-file")
	}
	if runF != nil {
		return runF(cmd.Context(), opts)
	}
	return serveKeysRun(cmd.Context(), opts)
}

func serveKeysRun(ctx context.Context, opts *serveKeysOptions) error {
	call := &caseOptions{Gateway: opts.Gateway, AdminKeyFile: opts.AdminKeyFile}
	var resp map[string]any
	var err error
	switch opts.Action {
	case "add":
		err = callGateway(ctx, call, http.MethodPost, "/admin/keys", map[string]string{"account": opts.Account}, &resp)
	case "revoke":
		err = callGateway(ctx, call, http.MethodPost, "/admin/keys/revoke", map[string]string{"id": opts.ID, "hash": opts.Hash}, &resp)
	default:
		var list struct {
			Keys []serve.KeyInfo `json:"keys"`
		}
		if err = callGateway(ctx, call, http.MethodGet, "/admin/keys", nil, &list); err == nil {
			if opts.JSON {
				return writeJSON(opts.io.Out, list)
			}
			printKeys(opts, list.Keys)
			return nil
		}
	}
	if err != nil {
		return err
	}
	if opts.JSON {
		return writeJSON(opts.io.Out, resp)
	}
	if opts.Action == "add" {
		fmt.Fprintf(opts.io.Out, "api key  %s\t(shown once: give it to the customer)\nid       %s\naccount  %s\n",
			termsafe.Line(fmt.Sprint(resp["api_key"])), termsafe.Line(fmt.Sprint(resp["id"])), termsafe.Line(fmt.Sprint(resp["account"])))
		return nil
	}
	fmt.Fprintf(opts.io.Out, "revoked  %s (account %s)\n", termsafe.Line(fmt.Sprint(resp["id"])), termsafe.Line(fmt.Sprint(resp["account"])))
	return nil
}

func printKeys(opts *serveKeysOptions, keys []serve.KeyInfo) {
	tw := tabwriter.NewWriter(opts.io.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tACCOUNT\tSOURCE\tCREATED\tREVOKED")
	stamp := func(t *time.Time) string {
		if t == nil {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	for _, k := range keys {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", termsafe.Line(k.ID), termsafe.Line(k.Account), k.Source, stamp(k.Created), stamp(k.Revoked))
	}
	tw.Flush()
}

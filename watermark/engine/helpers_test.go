package engine

import "fmt"

func fmtSprintf(verb string, k *Key) string { return fmt.Sprintf(verb, k) + fmt.Sprintf(verb, *k) }

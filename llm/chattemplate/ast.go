package chattemplate

// The template's syntax tree: statements (node) and expressions (expr).

type node interface{}

type (
	textNode   struct{ text string }
	outputNode struct{ x expr }
	ifNode     struct {
		cond      expr
		then, els []node
	}
	forNode struct {
		vars      []string
		iter      expr
		filter    expr // "for x in xs if cond"; nil when absent
		body, els []node
	}
	// setNode assigns value to name, to attr of the namespace name (when
	// attr is set), or unpacks it into names; a block set captures body.
	setNode struct {
		names []string
		attr  string
		value expr
		body  []node
		block bool
	}
	macroNode struct {
		name     string
		params   []string
		defaults []expr // nil where a parameter has no default
		body     []node
	}
	loopControl struct{ isBreak bool }
)

type expr interface{}

type (
	literal  struct{ v value }
	nameExpr struct{ name string }
	listExpr struct{ items []expr }
	dictExpr struct{ keys, vals []expr }
	attrExpr struct {
		obj  expr
		name string
	}
	indexExpr struct{ obj, idx expr }
	sliceExpr struct{ obj, lo, hi, step expr }
	callExpr  struct {
		fn   expr
		args argList
	}
	filterExpr struct {
		x    expr
		name string
		args argList
	}
	testExpr struct {
		x      expr
		name   string
		args   argList
		negate bool
	}
	unaryExpr struct {
		op string
		x  expr
	}
	binaryExpr struct {
		op   string
		l, r expr
	}
	condExpr struct{ cond, yes, no expr }
)

// argList is a call's positional and keyword arguments.
type argList struct {
	pos     []expr
	kwNames []string
	kwVals  []expr
}

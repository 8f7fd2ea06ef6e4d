package params

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// YAML returns the complete parameter set as a YAML document that Load and
// Parse accept back.
func (p *Params) YAML() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# microcircuit parameters (Potjans & Diesmann 2014); times in ms, currents in pA\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(p); err != nil {
		return nil, fmt.Errorf("encoding parameters: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encoding parameters: %w", err)
	}
	return buf.Bytes(), nil
}

// Load reads a YAML parameter file on top of the defaults: keys that the file
// leaves out keep their default values. Unknown keys and values of the wrong
// type are errors that name the parameter.
func Load(path string) (Params, error) { return LoadOver(Default(), path) }

// LoadOver reads a YAML parameter file on top of base.
func LoadOver(base Params, path string) (Params, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Params{}, fmt.Errorf("config: %w", err)
	}
	p, err := ParseOver(base, data)
	if err != nil {
		return Params{}, fmt.Errorf("config %s: %w", path, err)
	}
	return p, nil
}

var lineRE = regexp.MustCompile(`line (\d+): (.*)`)

// Parse reads a YAML parameter document on top of the defaults.
func Parse(data []byte) (Params, error) { return ParseOver(Default(), data) }

// ParseOver reads a YAML parameter document on top of base.
func ParseOver(base Params, data []byte) (Params, error) {
	p := base
	p.Simulation.Record = append([]string(nil), base.Simulation.Record...)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	err := dec.Decode(&p)
	if err == nil || errors.Is(err, io.EOF) {
		return p, nil
	}
	// Name the parameter at the line the decoder complains about.
	var te *yaml.TypeError
	msg := err.Error()
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := lineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		var root yaml.Node
		if yaml.Unmarshal(data, &root) == nil {
			if key := keyAtLine(&root, line, ""); key != "" {
				return Params{}, fmt.Errorf("parameter %s (line %d): %s", key, line, m[2])
			}
		}
		return Params{}, fmt.Errorf("line %d: %s", line, m[2])
	}
	return Params{}, errors.New(strings.TrimPrefix(msg, "yaml: "))
}

// keyAtLine returns the dotted path of the mapping key whose key or value
// starts at line.
func keyAtLine(n *yaml.Node, line int, prefix string) string {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if k := keyAtLine(c, line, prefix); k != "" {
				return k
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			name := k.Value
			if prefix != "" {
				name = prefix + "." + k.Value
			}
			if sub := keyAtLine(v, line, name); sub != "" {
				return sub
			}
			if k.Line == line || (v.Line == line && v.Kind == yaml.ScalarNode) {
				return name
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if sub := keyAtLine(c, line, fmt.Sprintf("%s[%d]", prefix, i)); sub != "" {
				return sub
			}
			if c.Kind == yaml.ScalarNode && c.Line == line {
				return fmt.Sprintf("%s[%d]", prefix, i)
			}
		}
	}
	return ""
}

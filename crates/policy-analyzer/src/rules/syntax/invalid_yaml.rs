use crate::diagnostic::Severity;
use crate::rules::{Check, FixAvailability, Pack, Rule};

pub(crate) static RULE: Rule = Rule {
    code: "PC006",
    name: "invalid-yaml",
    pack: Pack::Syntax,
    severity: Severity::Error,
    fix: FixAvailability::None,
    tags: &[],
    summary: "A CloudFormation template that is not valid YAML",
    docs: r#"## What it does
Reports a CloudFormation template written in YAML that a YAML parser
rejects: a tab in the indentation, a mapping value where none may be, an
unclosed quote or bracket, an anchor that is never defined, a tag that is
not one of CloudFormation's short forms (`!Sub`, `!Ref`, `!GetAtt`, ...), or
an alias that expands past a safe size (an "alias bomb").

## Why it matters
CloudFormation rejects a template it cannot parse, so the stack, and the key
and key policy in it, is never created or updated. policy-check reports the
first error with its position and checks what it could read before it.

## Example
```yaml
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
	KeyPolicy: {}
```

## Use instead
```yaml
Resources:
  Key:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy: {}
```

## Fix
Edit the text at the reported position: YAML indents with spaces, never tabs.

## Sources
- AWS CloudFormation User Guide, Template formats: https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-formats.html
- AWS CloudFormation User Guide, Intrinsic function reference (the short forms): https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
- YAML 1.2.2 specification, section 6.1 (indentation is spaces only): https://yaml.org/spec/1.2.2/#61-indentation-spaces
"#,
    check: Check::Host,
};

//! The policy language's element names, with one-line documentation, for
//! completion and hover.

/// An element name and what it means.
pub struct Element {
    pub name: &'static str,
    pub doc: &'static str,
}

/// Members of the policy object.
pub const POLICY_ELEMENTS: &[Element] = &[
    Element {
        name: "Version",
        doc: "The policy language version. Use `2012-10-17`: older versions do not substitute policy variables.",
    },
    Element {
        name: "Id",
        doc: "An optional identifier for the policy.",
    },
    Element {
        name: "Statement",
        doc: "The statements: one object or an array of objects. Explicit Deny beats Allow; order has no meaning.",
    },
];

/// Members of a statement.
pub const STATEMENT_ELEMENTS: &[Element] = &[
    Element {
        name: "Sid",
        doc: "A name for the statement (spaces are allowed in key policies).",
    },
    Element {
        name: "Effect",
        doc: "`Allow` or `Deny`.",
    },
    Element {
        name: "Principal",
        doc: "Who the statement applies to: `{\"AWS\": [...]}`, `{\"Service\": ...}` or `\"*\"`. `arn:aws:iam::<account>:root` delegates to the account's IAM policies.",
    },
    Element {
        name: "NotPrincipal",
        doc: "Everyone except the listed principals. Hard to get right; AWS advises conditions such as `aws:PrincipalArn` instead.",
    },
    Element {
        name: "Action",
        doc: "The KMS actions the statement covers, e.g. `kms:Decrypt`; `*` and `?` are wildcards (`kms:GenerateDataKey*`).",
    },
    Element {
        name: "NotAction",
        doc: "Every action except the listed ones. With Allow it also grants actions added to KMS later.",
    },
    Element {
        name: "Resource",
        doc: "In a key policy, `\"*\"`: this key.",
    },
    Element {
        name: "NotResource",
        doc: "Every resource except the listed ones; not useful in a key policy, where the only resource is the key.",
    },
    Element {
        name: "Condition",
        doc: "`{\"<Operator>\": {\"<key>\": [values]}}`. Operators and keys are ANDed, values of one key ORed.",
    },
];

/// Members of a `Principal` object.
pub const PRINCIPAL_TYPES: &[Element] = &[
    Element {
        name: "AWS",
        doc: "Accounts (`arn:aws:iam::<account>:root` or the account ID), IAM roles and users.",
    },
    Element {
        name: "Service",
        doc: "AWS service principals, e.g. `logs.us-east-1.amazonaws.com`.",
    },
    Element {
        name: "Federated",
        doc: "Identity providers (web identity or SAML).",
    },
    Element {
        name: "CanonicalUser",
        doc: "An S3 canonical user ID (rarely used in key policies).",
    },
];

pub fn find(elements: &'static [Element], name: &str) -> Option<&'static Element> {
    elements.iter().find(|e| e.name == name)
}

//! The evaluator, operator by operator, as tables of (policy, request, decision).

use super::*;
use crate::model::Policy;
use crate::syntax::parse;

fn decide(policy: &str, request: &Request) -> Evaluation {
    let parsed = parse(policy);
    let model = Policy::from_tree(&parsed.tree);
    evaluate(&model, request)
}

#[test]
fn smoke() {
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}]}"#;
    let e = decide(
        policy,
        &Request::new(
            RequestPrincipal::role("111122223333", "Admin"),
            "kms:Decrypt",
        ),
    );
    assert!(e.is_delegated_only());
}

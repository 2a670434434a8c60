//! Tests of the compile-time token keys of `#[phasic::callback]` and
//! `#[phasic::pure]`, and a snapshot of one expansion.
//!
//! Keys are read back from the expansion (`TOKEN_KEY … ModelKey([..])` of a
//! callback, `key: ModelKey([..])` of a pure helper), so these tests go
//! through `expand::run` exactly as the compiler does, and need no test
//! hooks in the stages.
//!
//! Refresh the snapshot with `UPDATE_SNAPSHOTS=1 cargo test -p phasic-macros`.

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};
use quote::{ToTokens, quote};

use crate::expand::run;
use crate::ir::Kind;

// ---------------------------------------------------------------------------
// reading keys back from expansions

fn ts(src: &str) -> TokenStream {
    src.parse()
        .unwrap_or_else(|e| panic!("not a token stream: {e}\n{src}"))
}

/// Every `ModelKey([b0, …, b31])` with 32 byte literals in `tokens`, depth first.
fn model_keys(tokens: &TokenStream, out: &mut Vec<[u8; 32]>) {
    let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
    for (i, tt) in trees.iter().enumerate() {
        if let TokenTree::Group(g) = tt {
            model_keys(&g.stream(), out);
        }
        let TokenTree::Ident(id) = tt else { continue };
        if id != "ModelKey" {
            continue;
        }
        let Some(TokenTree::Group(paren)) = trees.get(i + 1) else {
            continue;
        };
        if paren.delimiter() != Delimiter::Parenthesis {
            continue;
        }
        let inner: Vec<TokenTree> = paren.stream().into_iter().collect();
        let [TokenTree::Group(bracket)] = inner.as_slice() else {
            continue;
        };
        if bracket.delimiter() != Delimiter::Bracket {
            continue;
        }
        let bytes: Vec<u8> = bracket
            .stream()
            .into_iter()
            .filter_map(|t| match t {
                TokenTree::Literal(l) => {
                    let s = l.to_string();
                    Some(s.trim_end_matches("u8").parse::<u8>().ok())
                }
                _ => None,
            })
            .collect::<Option<Vec<u8>>>()
            .unwrap_or_default();
        if let Ok(key) = <[u8; 32]>::try_from(bytes) {
            out.push(key);
        }
    }
}

fn contains_ident(tokens: &TokenStream, name: &str) -> bool {
    tokens.clone().into_iter().any(|tt| match tt {
        TokenTree::Ident(i) => i == name,
        TokenTree::Group(g) => contains_ident(&g.stream(), name),
        _ => false,
    })
}

/// The single key in an expansion that must have succeeded.
fn the_key(out: &TokenStream, what: &str) -> [u8; 32] {
    assert!(
        !contains_ident(out, "compile_error"),
        "{what} was rejected by the macro:\n{out}"
    );
    let mut keys = Vec::new();
    model_keys(out, &mut keys);
    assert_eq!(
        keys.len(),
        1,
        "expected one key in the expansion of {what}:\n{out}"
    );
    keys[0]
}

/// The token key of `#[phasic::callback(attr)] item`.
fn ck(attr: TokenStream, item: TokenStream) -> [u8; 32] {
    let what = format!("#[callback({attr})] {item}");
    the_key(&run(Kind::Callback, attr, item), &what)
}

/// The token key of `#[phasic::pure(attr)] item`.
fn pk(attr: TokenStream, item: TokenStream) -> [u8; 32] {
    let what = format!("#[pure({attr})] {item}");
    the_key(&run(Kind::Pure, attr, item), &what)
}

fn hex(k: &[u8; 32]) -> String {
    k.iter().map(|b| format!("{b:02x}")).collect()
}

/// Asserts that all keys are pairwise distinct, naming a colliding pair.
fn assert_all_distinct(cases: &[(&str, [u8; 32])]) {
    for (i, (a, ka)) in cases.iter().enumerate() {
        for (b, kb) in &cases[i + 1..] {
            assert_ne!(ka, kb, "`{a}` and `{b}` have the same key {}", hex(ka));
        }
    }
}

// ---------------------------------------------------------------------------
// the callback key: invariances

fn base_attr() -> TokenStream {
    quote!(initial = [5])
}

const BASE_SRC: &str = "fn kingman(state: &[i32], out: &mut Transitions, theta: f64) {
    let n = state[0];
    if n > 1 {
        out.add(&[n - 1], f64::from(n * (n - 1)) / 2.0 * theta);
    }
}";

fn base_item() -> TokenStream {
    ts(BASE_SRC)
}

fn base_key() -> [u8; 32] {
    ck(base_attr(), base_item())
}

#[test]
fn quote_and_parsed_source_give_the_same_key() {
    let quoted = quote! {
        fn kingman(state: &[i32], out: &mut Transitions, theta: f64) {
            let n = state[0];
            if n > 1 {
                out.add(&[n - 1], f64::from(n * (n - 1)) / 2.0 * theta);
            }
        }
    };
    assert_eq!(ck(ts("initial = [5]"), quoted), base_key());
}

#[test]
fn whitespace_and_line_breaks_do_not_change_the_key() {
    let one_line = "fn kingman(state:&[i32],out:&mut Transitions,theta:f64){let n=state[0];if n>1{out.add(&[n-1],f64::from(n*(n-1))/2.0*theta);}}";
    let spread = "
        fn
        kingman (
            state : & [ i32 ] ,
            out   : & mut   Transitions ,
            theta: f64
        )
        {
            let  n  =  state [ 0 ] ;
            if n > 1
            {
                out . add (
                    & [ n - 1 ] ,
                    f64 :: from ( n * ( n - 1 ) )
                        / 2.0
                        * theta
                ) ;
            }
        }
    ";
    let tabs = "fn kingman(state: &[i32],\tout: &mut Transitions,\r\n\ttheta: f64)\r\n{\r\n\tlet n = state[0];\r\n\tif n > 1 { out.add(&[n - 1], f64::from(n * (n - 1)) / 2.0 * theta); }\r\n}\r\n";
    let base = base_key();
    for src in [one_line, spread, tabs] {
        assert_eq!(ck(base_attr(), ts(src)), base, "{src}");
    }
    // the attribute too
    for attr in ["initial=[5]", "initial =\n  [ 5 ]", "\n\tinitial = [5]\n"] {
        assert_eq!(ck(ts(attr), base_item()), base, "{attr}");
    }
}

#[test]
fn comments_do_not_change_the_key() {
    let src = "
        // a model of the coalescent
        fn kingman(state: &[i32], /* the lineages */ out: &mut Transitions, theta: f64) {
            // the number of lineages
            let n = state[0]; // trailing comment
            /* block
               comment */
            if n > 1 /* /* nested */ block */ {
                out.add(&[n - 1], f64::from(n * (n - 1)) / 2.0 * theta); //// four slashes
            }
            /**/
        }
        // after
    ";
    assert_eq!(ck(base_attr(), ts(src)), base_key());
    assert_eq!(
        ck(ts("/* before */ initial = [5] // after"), base_item()),
        base_key()
    );
}

#[test]
fn doc_comments_on_the_function_do_not_change_the_key() {
    let body = "fn kingman(state: &[i32], out: &mut Transitions, theta: f64) {
        let n = state[0];
        if n > 1 {
            out.add(&[n - 1], f64::from(n * (n - 1)) / 2.0 * theta);
        }
    }";
    let base = base_key();
    for docs in [
        "/// Kingman's coalescent.\n",
        "/// Kingman's coalescent, with a different text.\n/// And a second line.\n",
        "/** Block doc comment. */\n",
        "#[doc = \"an explicit doc attribute\"]\n",
        "/// one\n#[doc = \"two\"]\n/** three */\n",
    ] {
        let src = format!("{docs}{body}");
        assert_eq!(ck(base_attr(), ts(&src)), base, "{src}");
    }
}

#[test]
fn inner_doc_comments_of_the_function_do_not_change_the_key() {
    let src = "fn kingman(state: &[i32], out: &mut Transitions, theta: f64) {
        //! Kingman's coalescent (inner doc comment).
        let n = state[0];
        if n > 1 {
            out.add(&[n - 1], f64::from(n * (n - 1)) / 2.0 * theta);
        }
    }";
    assert_eq!(ck(base_attr(), ts(src)), base_key());
}

#[test]
fn doc_comments_inside_the_body_do_not_change_the_key() {
    // `///` on a statement is a `#[doc]` attribute of that statement; the
    // key drops `#[doc]` attributes, so it must not see these either.
    let src = "fn kingman(state: &[i32], out: &mut Transitions, theta: f64) {
        /// the number of lineages
        let n = state[0];
        if n > 1 {
            out.add(&[n - 1], f64::from(n * (n - 1)) / 2.0 * theta);
        }
    }";
    assert_eq!(ck(base_attr(), ts(src)), base_key());
}

#[test]
fn renaming_the_function_does_not_change_the_key() {
    let renamed = quote! {
        fn coalescent_model_2(state: &[i32], out: &mut Transitions, theta: f64) {
            let n = state[0];
            if n > 1 {
                out.add(&[n - 1], f64::from(n * (n - 1)) / 2.0 * theta);
            }
        }
    };
    assert_eq!(ck(base_attr(), renamed), base_key());
}

#[test]
fn order_of_the_attribute_arguments_does_not_change_the_key() {
    let a = ck(
        quote!(initial = [5], consts(A, B), helpers(f), theta_dim = 1),
        base_item(),
    );
    for attr in [
        quote!(theta_dim = 1, helpers(f), consts(A, B), initial = [5]),
        quote!(consts(A, B), initial = [5], theta_dim = 1, helpers(f)),
    ] {
        assert_eq!(ck(attr.clone(), base_item()), a, "{attr}");
    }
}

/// Reformatting a macro call (rustfmt turns `vec![a,-1]` into
/// `vec![a, -1]`) changes only whitespace, so it must keep the key; the
/// tokens inside a macro call are kept verbatim by syn, with the spacing
/// of each punctuation mark as the lexer saw it.
#[test]
fn reformatting_inside_macro_calls_does_not_change_the_key() {
    let item = |v: &str| {
        ts(&format!(
            "fn m(state: &[i32], out: &mut Transitions) {{
                let v = {v};
                assert_eq!(v.len(), 2);
                out.add(&v, 1.0);
            }}"
        ))
    };
    let attr = || quote!(initial = [5, 0]);
    let pairs = [
        ("vec![state[0], -1]", "vec![state[0],-1]"),
        (
            "vec![state[0] - 1, -state[1]]",
            "vec![state[0]-1,-state[1]]",
        ),
        ("vec![state[0], *&1]", "vec![state[0],*&1]"),
    ];
    for (formatted, compact) in pairs {
        assert_eq!(
            ck(attr(), item(formatted)),
            ck(attr(), item(compact)),
            "`{formatted}` and `{compact}` differ only in whitespace"
        );
    }
}

// ---------------------------------------------------------------------------
// the callback key: sensitivity

/// The base model with the first `from` replaced by `to` in its source.
fn edit(from: &str, to: &str) -> TokenStream {
    assert!(BASE_SRC.contains(from), "`{from}` not in {BASE_SRC}");
    ts(&BASE_SRC.replacen(from, to, 1))
}

#[test]
fn the_key_changes_with_every_kind_of_edit() {
    let a = base_attr;
    let cases: Vec<(&str, [u8; 32])> = vec![
        ("base", base_key()),
        // expressions
        (
            "expr: (n - 1) * n",
            ck(a(), edit("n * (n - 1)", "(n - 1) * n")),
        ),
        ("expr: state[1]", ck(a(), edit("state[0]", "state[1]"))),
        (
            "expr: theta * theta",
            ck(a(), edit("* theta", "* theta * theta")),
        ),
        ("expr: 1 < n", ck(a(), edit("n > 1", "1 < n"))),
        (
            "expr: parenthesised",
            ck(a(), edit("n * (n - 1)", "(n * (n - 1))")),
        ),
        // operators
        ("op: n + 1 child", ck(a(), edit("[n - 1]", "[n + 1]"))),
        ("op: * 2.0", ck(a(), edit("/ 2.0", "* 2.0"))),
        ("op: >=", ck(a(), edit("n > 1", "n >= 1"))),
        // literals
        ("lit: 2.00", ck(a(), edit("2.0", "2.00"))),
        ("lit: 3.0", ck(a(), edit("2.0", "3.0"))),
        ("lit: 2.0_f64", ck(a(), edit("2.0", "2.0_f64"))),
        ("lit: 2f64", ck(a(), edit("2.0", "2f64"))),
        ("lit: n > 2", ck(a(), edit("n > 1", "n > 2"))),
        ("lit: n > 3", ck(a(), edit("n > 1", "n > 3"))),
        ("lit: n > 0x1", ck(a(), edit("n > 1", "n > 0x1"))),
        ("lit: n > 1_i32", ck(a(), edit("n > 1", "n > 1_i32"))),
        // types
        ("type: f32::from", ck(a(), edit("f64::from", "f32::from"))),
        (
            "type: theta: f32",
            ck(a(), edit("theta: f64", "theta: f32")),
        ),
        (
            "type: theta: &f64",
            ck(a(), edit("theta: f64", "theta: &f64")),
        ),
        // signature
        (
            "sig: param renamed",
            ck(a(), ts(&BASE_SRC.replace("theta", "rate"))),
        ),
        (
            "sig: state renamed",
            ck(a(), ts(&BASE_SRC.replace("state", "s"))),
        ),
        (
            "sig: added param",
            ck(a(), edit("theta: f64", "theta: f64, k: i32")),
        ),
        (
            "sig: added param first",
            ck(a(), edit("theta: f64", "k: i32, theta: f64")),
        ),
        ("sig: pub", ck(a(), edit("fn kingman", "pub fn kingman"))),
        (
            "sig: mut param",
            ck(a(), edit("theta: f64", "mut theta: f64")),
        ),
        (
            "sig: other attribute",
            ck(a(), ts(&format!("#[inline] {}", base_item()))),
        ),
    ];
    assert_all_distinct(&cases);
}

#[test]
fn the_key_changes_with_the_attribute() {
    let b = base_item;
    let cases: Vec<(&str, [u8; 32])> = vec![
        ("initial = [5]", base_key()),
        // initial: value and form
        ("initial = [6]", ck(quote!(initial = [6]), b())),
        ("initial = [5, 0]", ck(quote!(initial = [5, 0]), b())),
        ("initial = [05]", ck(ts("initial = [05]"), b())),
        ("initial = vec![5]", ck(quote!(initial = vec![5]), b())),
        (
            "initial = [([5], 1.0)]",
            ck(quote!(initial = [([5], 1.0)]), b()),
        ),
        (
            "initial = [([5], 1.00)]",
            ck(ts("initial = [([5], 1.00)]"), b()),
        ),
        (
            "initial = [([5], 0.5), ([3], 0.5)]",
            ck(quote!(initial = [([5], 0.5), ([3], 0.5)]), b()),
        ),
        (
            "initial = [([3], 0.5), ([5], 0.5)]",
            ck(quote!(initial = [([3], 0.5), ([5], 0.5)]), b()),
        ),
        (
            "initial = [([5], 0.25), ([3], 0.75)]",
            ck(quote!(initial = [([5], 0.25), ([3], 0.75)]), b()),
        ),
        (
            "initial = [theta as i32]",
            ck(quote!(initial = [theta as i32]), b()),
        ),
        // consts(...)
        ("consts(A)", ck(quote!(initial = [5], consts(A)), b())),
        ("consts(B)", ck(quote!(initial = [5], consts(B)), b())),
        ("consts(A, B)", ck(quote!(initial = [5], consts(A, B)), b())),
        ("consts(B, A)", ck(quote!(initial = [5], consts(B, A)), b())),
        // helpers(...)
        ("helpers(A)", ck(quote!(initial = [5], helpers(A)), b())),
        ("helpers(f)", ck(quote!(initial = [5], helpers(f)), b())),
        ("helpers(g)", ck(quote!(initial = [5], helpers(g)), b())),
        (
            "helpers(f, g)",
            ck(quote!(initial = [5], helpers(f, g)), b()),
        ),
        (
            "consts(A), helpers(f)",
            ck(quote!(initial = [5], consts(A), helpers(f)), b()),
        ),
        // theta_dim
        (
            "theta_dim = 1",
            ck(quote!(initial = [5], theta_dim = 1), b()),
        ),
        (
            "theta_dim = 2",
            ck(quote!(initial = [5], theta_dim = 2), b()),
        ),
    ];
    assert_all_distinct(&cases);
}

#[test]
fn equal_inputs_give_equal_keys() {
    assert_eq!(base_key(), base_key());
    let attr = quote!(
        initial = [([5], 0.5), ([3], 0.5)],
        consts(A),
        helpers(f),
        theta_dim = 2
    );
    assert_eq!(ck(attr.clone(), base_item()), ck(attr, base_item()));
}

// ---------------------------------------------------------------------------
// the key of a pure helper

fn pure_item(docs: &str, name: &str, body: &str) -> TokenStream {
    ts(&format!("{docs}\nfn {name}(k: i32) -> f64 {{ {body} }}"))
}

const PAIRS: &str = "f64::from(k) * f64::from(k - 1) / 2.0";

#[test]
fn a_pure_helper_key_ignores_docs_names_and_formatting() {
    let base = pk(quote!(), pure_item("", "pairs", PAIRS));
    for (docs, name, body) in [
        ("/// Pairs among `k` lineages.", "pairs", PAIRS),
        ("/** other text */ #[doc = \"x\"]", "pairs", PAIRS),
        ("", "binomial2", PAIRS),
        ("/// renamed and documented", "pairs_of_lineages", PAIRS),
        ("", "pairs", "f64::from(k)*f64::from(k-1)/2.0 // comment\n"),
        (
            "",
            "pairs",
            "\n    f64::from( k ) /* c */\n        * f64::from( k - 1 )\n        / 2.0\n",
        ),
    ] {
        assert_eq!(
            pk(quote!(), pure_item(docs, name, body)),
            base,
            "docs `{docs}`, name `{name}`, body `{body}`"
        );
    }
}

#[test]
fn a_pure_helper_key_changes_with_its_body_signature_and_attribute() {
    let item = |body: &str| pure_item("", "pairs", body);
    let cases: Vec<(&str, [u8; 32])> = vec![
        ("base", pk(quote!(), item(PAIRS))),
        ("2.00", pk(quote!(), item(&PAIRS.replace("2.0", "2.00")))),
        ("3.0", pk(quote!(), item(&PAIRS.replace("2.0", "3.0")))),
        (
            "k + 1",
            pk(quote!(), item(&PAIRS.replace("k - 1", "k + 1"))),
        ),
        (
            "k - 2",
            pk(quote!(), item(&PAIRS.replace("k - 1", "k - 2"))),
        ),
        (
            "f32",
            pk(
                quote!(),
                ts(&format!(
                    "fn pairs(k: i32) -> f32 {{ {} }}",
                    PAIRS.replace("f64", "f32")
                )),
            ),
        ),
        (
            "return f32",
            pk(
                quote!(),
                ts(&format!("fn pairs(k: i32) -> f32 {{ {PAIRS} }}")),
            ),
        ),
        (
            "k: i64",
            pk(
                quote!(),
                ts(&format!("fn pairs(k: i64) -> f64 {{ {PAIRS} }}")),
            ),
        ),
        (
            "j",
            pk(
                quote!(),
                ts(&format!(
                    "fn pairs(j: i32) -> f64 {{ {} }}",
                    PAIRS.replace('k', "j")
                )),
            ),
        ),
        (
            "added arg",
            pk(
                quote!(),
                ts(&format!("fn pairs(k: i32, m: i32) -> f64 {{ {PAIRS} }}")),
            ),
        ),
        ("consts(A)", pk(quote!(consts(A)), item(PAIRS))),
        ("helpers(g)", pk(quote!(helpers(g)), item(PAIRS))),
    ];
    assert_all_distinct(&cases);
}

#[test]
fn a_pure_helper_and_a_callback_never_share_a_key() {
    // the same tokens under the two attributes are keyed apart ("pure" vs
    // "callback" schema), as are different attribute sets
    let item = quote!(
        fn f(state: &[i32], out: &mut Transitions) {}
    );
    let c = ck(quote!(initial = [1]), item.clone());
    let p = pk(quote!(), item);
    assert_ne!(c, p);
}

// ---------------------------------------------------------------------------
// properties: whitespace never matters, every literal does

/// The lexemes of a fixed model; any whitespace between them is formatting.
/// Multi-character operators are single lexemes (a space inside `>=` or `::`
/// would change the tokens).
#[rustfmt::skip]
const LEXEMES: &[&str] = &[
    "fn", "kingman", "(", "state", ":", "&", "[", "i32", "]", ",", "out", ":", "&", "mut",
    "Transitions", ",", "theta", ":", "f64", ")", "{", "let", "n", "=", "state", "[", "0", "]", ";",
    "if", "n", ">", "1", "{", "out", ".", "add", "(", "&", "[", "n", "-", "1", "]", ",", "f64",
    "::", "from", "(", "n", "*", "(", "n", "-", "1", ")", ")", "/", "2.0", "*", "theta", ")", ";",
    "}", "let", "v", "=", "vec", "!", "[", "n", ",", "2", ",", "7", "]", ";", "if", "v", "[", "1",
    "]", ">=", "3", "&&", "n", "!=", "4", "{", "out", ".", "add", "(", "&", "[", "n", "+", "1", "]",
    ",", "0.5", ")", ";", "}", "}",
];

fn is_delimiter(s: &str) -> bool {
    matches!(s, "(" | ")" | "[" | "]" | "{" | "}")
}

fn is_literal(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_digit())
}

/// Joins lexemes with the given separators. A separator of `None` means
/// "nothing", used only next to a delimiter, where it cannot change a
/// token or a punctuation mark's spacing.
fn join(lexemes: &[String], seps: &[Option<String>]) -> String {
    let mut s = String::new();
    for (i, lex) in lexemes.iter().enumerate() {
        if i > 0 {
            let touching_delimiter = is_delimiter(&lexemes[i - 1]) || is_delimiter(lex);
            match seps.get(i - 1).cloned().flatten() {
                None if touching_delimiter => {}
                None => s.push(' '),
                Some(sep) => s.push_str(&sep),
            }
        }
        s.push_str(lex);
    }
    s
}

fn separator() -> impl proptest::strategy::Strategy<Value = Option<String>> {
    use proptest::prelude::*;
    let piece = prop_oneof![
        Just(" "),
        Just("  "),
        Just("\n"),
        Just("\t"),
        Just("\r\n"),
        Just("\n        "),
        Just(" /* c */ "),
        Just(" /* a /* nested */ b */ "),
        Just(" // line comment\n"),
    ];
    prop_oneof![
        1 => Just(None),
        4 => proptest::collection::vec(piece, 1..4).prop_map(|v| Some(v.concat())),
    ]
}

fn lexemes() -> Vec<String> {
    LEXEMES.iter().map(|s| s.to_string()).collect()
}

fn single_spaced_key() -> [u8; 32] {
    ck(quote!(initial = [5]), ts(&LEXEMES.join(" ")))
}

#[path = "../../tests/support/seeded.rs"]
mod seeded;

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(seeded::config(128))]

        #[test]
        fn whitespace_and_comments_between_tokens_never_change_the_key(
            seps in proptest::collection::vec(separator(), LEXEMES.len() - 1),
        ) {
            let src = join(&lexemes(), &seps);
            prop_assert_eq!(ck(quote!(initial = [5]), ts(&src)), single_spaced_key(), "{}", src);
        }

        #[test]
        fn changing_any_one_literal_always_changes_the_key(
            which in any::<prop::sample::Index>(),
            int in "[0-9]{1,4}(_i32|_u64)?",
            float in "[0-9]{1,3}\\.[0-9]{1,3}(_f64)?",
            seps in proptest::collection::vec(separator(), LEXEMES.len() - 1),
        ) {
            let mut lex = lexemes();
            let positions: Vec<usize> = (0..lex.len()).filter(|&i| is_literal(&lex[i])).collect();
            let at = positions[which.index(positions.len())];
            let new = if lex[at].contains('.') { float } else { int };
            prop_assume!(new != lex[at]);
            lex[at] = new;
            let src = join(&lex, &seps);
            prop_assert_ne!(ck(quote!(initial = [5]), ts(&src)), single_spaced_key(), "{}", src);
        }
    }
}

// ---------------------------------------------------------------------------
// expansion snapshot

const SNAPSHOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/snapshots/kingman.expanded.txt"
);

fn snapshot_attr() -> TokenStream {
    quote!(initial = [n], consts(SCALE), helpers(pairs), theta_dim = 1)
}

fn snapshot_item() -> TokenStream {
    ts("/// Kingman's coalescent with a parameterized edge.
        pub fn kingman(state: &[i32], out: &mut Transitions, n: i32, theta: f64) {
            let k = state[0];
            if k > 1 {
                out.add_param(&[k - 1], 0.0, &[SCALE * theta * pairs(k)]);
            }
        }")
}

/// A deterministic layout of a token stream: one item or statement per
/// line, braces indent, attributes on their own line.
fn pretty(tokens: &TokenStream) -> String {
    fn walk(tokens: &TokenStream, depth: usize, out: &mut String) {
        let trees: Vec<TokenTree> = tokens.clone().into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            let tt = &trees[i];
            match tt {
                // a block: on its own lines (`use a::{b, c}` stays inline)
                TokenTree::Group(g)
                    if g.delimiter() == Delimiter::Brace
                        && !(i >= 1
                            && matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == ':')) =>
                {
                    space(out);
                    out.push('{');
                    if g.stream().is_empty() {
                        out.push('}');
                    } else {
                        newline(out, depth + 1);
                        walk(&g.stream(), depth + 1, out);
                        newline(out, depth);
                        out.push('}');
                    }
                    let glued = matches!(trees.get(i + 1),
                        Some(TokenTree::Punct(p)) if matches!(p.as_char(), ';' | ',' | '.'));
                    if !glued {
                        newline(out, depth);
                    }
                }
                TokenTree::Group(g) => {
                    let (open, close) = match g.delimiter() {
                        Delimiter::Parenthesis => ('(', ')'),
                        Delimiter::Bracket => ('[', ']'),
                        Delimiter::Brace => ('{', '}'),
                        Delimiter::None => (' ', ' '),
                    };
                    // `f(…)`, `a[…]`, `m!(…)`, `#[…]`: no space before the group
                    let call = i >= 1
                        && match &trees[i - 1] {
                            TokenTree::Ident(id) => !KEYWORDS.contains(&id.to_string().as_str()),
                            TokenTree::Punct(p) => matches!(p.as_char(), '#' | '!'),
                            TokenTree::Group(g) => g.delimiter() != Delimiter::Brace,
                            TokenTree::Literal(_) => false,
                        };
                    if !call {
                        space(out);
                    }
                    out.push(open);
                    let mut inner = String::new();
                    walk(&g.stream(), depth, &mut inner);
                    out.push_str(inner.trim());
                    out.push(close);
                    // `#[attr]` and `#![attr]` end their line
                    let attr_before = i >= 1
                        && matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == '#')
                        || i >= 2
                            && matches!(&trees[i - 1], TokenTree::Punct(p) if p.as_char() == '!')
                            && matches!(&trees[i - 2], TokenTree::Punct(p) if p.as_char() == '#');
                    if g.delimiter() == Delimiter::Bracket && attr_before {
                        newline(out, depth);
                    }
                }
                TokenTree::Punct(p) => {
                    let c = p.as_char();
                    let prev = i.checked_sub(1).map(|k| &trees[k]);
                    let after_name = matches!(prev, Some(TokenTree::Ident(id)) if !KEYWORDS.contains(&id.to_string().as_str()))
                        || matches!(prev, Some(TokenTree::Group(g)) if g.delimiter() != Delimiter::Brace);
                    // `a::b`, `x: T`, `a, b`, `a.b`: no space before
                    let tight = matches!(c, ',' | ';' | '.') || (c == ':' && after_name);
                    if !tight {
                        space(out);
                    }
                    out.push(c);
                    // a prefix `&` / `*` (not after a value) and `::` bind to what follows
                    let prefix = matches!(c, '&' | '*' | '!')
                        && !after_name
                        && !matches!(prev, Some(TokenTree::Literal(_)))
                        && trees.get(i + 1).is_some();
                    let path_sep = c == ':'
                        && matches!(prev, Some(TokenTree::Punct(q)) if q.as_char() == ':' && q.spacing() == Spacing::Joint);
                    if p.spacing() == Spacing::Joint || prefix || path_sep {
                        out.push('\u{0}'); // glue marker: no space after
                    } else if c == ';' {
                        newline(out, depth);
                    }
                }
                TokenTree::Ident(id) => {
                    space(out);
                    out.push_str(&id.to_string());
                }
                TokenTree::Literal(l) => {
                    space(out);
                    out.push_str(&l.to_string());
                }
            }
            i += 1;
        }
    }
    fn space(out: &mut String) {
        if out.ends_with('\u{0}') {
            out.pop();
        } else if !(out.is_empty()
            || out.ends_with(' ')
            || out.ends_with('\n')
            || out.ends_with('(')
            || out.ends_with('[')
            || out.ends_with('.'))
        {
            out.push(' ');
        }
    }
    fn newline(out: &mut String, depth: usize) {
        if out.ends_with('\u{0}') {
            out.pop();
        }
        while out.ends_with(' ') {
            out.pop();
        }
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        } else if out.ends_with('\n') {
            // collapse an indentation left by an earlier newline
            while out.ends_with(' ') {
                out.pop();
            }
        }
        // replace any indentation already written on this empty line
        let line_start = out.rfind('\n').map_or(0, |p| p + 1);
        out.truncate(line_start);
        out.push_str(&"    ".repeat(depth));
    }
    let mut out = String::new();
    walk(tokens, 0, &mut out);
    let mut text: String = out
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    text = text.replace('\u{0}', "");
    text.push('\n');
    text
}

/// A line diff (longest common subsequence) of `old` → `new`.
fn diff(old: &str, new: &str) -> String {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out.push_str(&format!("-{:>4}| {}\n", i + 1, a[i]));
            i += 1;
        } else {
            out.push_str(&format!("+{:>4}| {}\n", j + 1, b[j]));
            j += 1;
        }
    }
    out
}

fn expanded_kingman() -> String {
    let out = run(Kind::Callback, snapshot_attr(), snapshot_item());
    assert!(
        !contains_ident(&out, "compile_error"),
        "the snapshot model was rejected:\n{out}"
    );
    let file: syn::File = syn::parse2(out.clone())
        .unwrap_or_else(|e| panic!("the expansion is not a list of items: {e}\n{out}"));
    pretty(&file.to_token_stream())
}

#[test]
fn the_expansion_of_kingman_matches_its_snapshot() {
    let actual = expanded_kingman();
    assert_eq!(
        actual,
        expanded_kingman(),
        "the expansion is not deterministic"
    );
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        let dir = std::path::Path::new(SNAPSHOT).parent().unwrap();
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(SNAPSHOT, &actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(SNAPSHOT).unwrap_or_else(|e| {
        panic!("cannot read {SNAPSHOT} ({e}); create it with UPDATE_SNAPSHOTS=1 cargo test -p phasic-macros")
    });
    if expected != actual {
        panic!(
            "the expansion of the kingman callback changed (-snapshot +now); if intended, \
             rerun with UPDATE_SNAPSHOTS=1 and review the file:\n{}",
            diff(&expected, &actual)
        );
    }
}

// ---------------------------------------------------------------------------
// generated code names only `::phasic::__private`

#[derive(Debug, PartialEq)]
enum Atom {
    Ident(String),
    Punct(char, Spacing),
    Other,
}

fn atoms(tokens: &TokenStream, out: &mut Vec<Atom>) {
    for tt in tokens.clone() {
        match tt {
            TokenTree::Ident(i) => out.push(Atom::Ident(i.to_string())),
            TokenTree::Punct(p) => out.push(Atom::Punct(p.as_char(), p.spacing())),
            TokenTree::Literal(_) => out.push(Atom::Other),
            TokenTree::Group(g) => {
                out.push(Atom::Other);
                atoms(&g.stream(), out);
                out.push(Atom::Other);
            }
        }
    }
}

const KEYWORDS: &[&str] = &[
    "use", "impl", "for", "as", "dyn", "in", "mut", "const", "static", "type", "where", "return",
    "let", "pub", "fn", "struct", "enum", "trait", "else", "if", "match", "move", "ref",
];

/// Every path into phasic that is not `::phasic::__private::…`.
fn foreign_phasic_paths(tokens: &TokenStream) -> Vec<String> {
    let mut a = Vec::new();
    atoms(tokens, &mut a);
    let colon2 = |i: usize| {
        a.get(i) == Some(&Atom::Punct(':', Spacing::Joint))
            && matches!(a.get(i + 1), Some(Atom::Punct(':', _)))
    };
    let mut bad = Vec::new();
    for (i, atom) in a.iter().enumerate() {
        let Atom::Ident(name) = atom else { continue };
        if name.starts_with("phasic_") {
            bad.push(format!("`{name}` (atom {i})"));
        } else if name == "phasic" {
            // `::phasic` starts a path unless an identifier other than a
            // keyword (`use ::phasic…`, `impl ::phasic…`) precedes it
            let continues_a_path =
                i >= 3 && matches!(&a[i - 3], Atom::Ident(p) if !KEYWORDS.contains(&p.as_str()));
            let leading = i >= 2 && colon2(i - 2) && !continues_a_path;
            let private = colon2(i + 1) && a.get(i + 3) == Some(&Atom::Ident("__private".into()));
            if !(leading && private) {
                bad.push(format!(
                    "a path through `phasic` that is not `::phasic::__private` (atom {i})"
                ));
            }
        } else if name == "crate" || name == "phasic_core" {
            bad.push(format!("`{name}` (atom {i})"));
        }
    }
    bad
}

#[test]
fn expansions_name_only_phasic_private_paths() {
    let expansions = [
        (
            "callback",
            run(Kind::Callback, snapshot_attr(), snapshot_item()),
        ),
        (
            "callback without parameters",
            run(
                Kind::Callback,
                quote!(initial = [2]),
                quote! {
                    fn two(state: &[i32], out: &mut Transitions) {
                        if state[0] > 1 { out.add(&[state[0] - 1], 1.0); }
                    }
                },
            ),
        ),
        (
            "pure helper",
            run(
                Kind::Pure,
                quote!(consts(SCALE), helpers(g)),
                pure_item("/// doc", "pairs", PAIRS),
            ),
        ),
        // a rejected callback emits a fallback item; it obeys the rule too
        (
            "fallback",
            run(
                Kind::Callback,
                quote!(initial = [1]),
                quote! {
                    fn bad(state: &[i32], out: &mut Transitions) { let x = RATE; }
                },
            ),
        ),
    ];
    for (what, out) in &expansions {
        let bad = foreign_phasic_paths(out);
        assert!(bad.is_empty(), "the {what} expansion names {bad:?}:\n{out}");
        assert!(contains_ident(out, "__private"), "{what}: {out}");
    }
    // the checker itself
    for wrong in [
        quote!(::phasic_core::Graph),
        quote!(phasic::__private::Key),
        quote!(::phasic::Callback),
        quote!(foo::phasic::__private::Key),
        quote!(crate::x),
    ] {
        assert!(!foreign_phasic_paths(&wrong).is_empty(), "{wrong}");
    }
    assert!(foreign_phasic_paths(&quote!(::phasic::__private::Key)).is_empty());
}

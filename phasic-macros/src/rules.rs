//! "No hidden inputs": a scope-aware pass over the body of an annotated
//! function (and a callback's `initial`) that names every reference the
//! cache key could not see, with the fix.
//!
//! The generated module already makes the compiler reject undeclared
//! items; this pass adds clear, spanned messages, and catches what the
//! compiler would accept (other crates, impure std modules, macros,
//! `unsafe`, nested items).

use std::collections::HashSet;

use proc_macro2::Span;
use quote::ToTokens;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::visit::{self, Visit};
use syn::{Expr, Ident, Pat, Path, Token};

use crate::imports::imported_types;
use crate::ir::{Function, Kind};

/// Names visible without declaration.
const PRELUDE: &[&str] = &[
    "Vec",
    "String",
    "Box",
    "Option",
    "Some",
    "None",
    "Result",
    "Ok",
    "Err",
    "Default",
    "Iterator",
    "IntoIterator",
    "DoubleEndedIterator",
    "ExactSizeIterator",
    "Extend",
    "From",
    "Into",
    "TryFrom",
    "TryInto",
    "ToString",
    "ToOwned",
    "Clone",
    "Copy",
    "PartialEq",
    "PartialOrd",
    "Ord",
    "Eq",
    "AsRef",
    "AsMut",
    "drop",
    "Sized",
    "Fn",
    "FnMut",
    "FnOnce",
    "Self",
    "Transitions",
    "f32",
    "f64",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "bool",
    "char",
    "str",
];

/// Whether `name` is visible in every model function without declaration.
pub fn is_prelude(name: &str) -> bool {
    PRELUDE.contains(&name)
}

/// Modules of `std`/`core`/`alloc` that hold no hidden state.
const PURE_STD: &[&str] = &[
    "f32",
    "f64",
    "i8",
    "i16",
    "i32",
    "i64",
    "i128",
    "isize",
    "u8",
    "u16",
    "u32",
    "u64",
    "u128",
    "usize",
    "cmp",
    "iter",
    "ops",
    "num",
    "option",
    "result",
    "convert",
    "vec",
    "slice",
    "array",
    "str",
    "string",
    "char",
    "boxed",
    "borrow",
    "clone",
    "default",
    "marker",
    "mem",
    "fmt",
    "collections",
    "primitive",
    "ascii",
];

/// Why an impure std module is refused, and what to do instead.
fn impure_reason(module: &str) -> (&'static str, &'static str) {
    match module {
        "env" => (
            "reads the process environment",
            "pass the value as a parameter of the model function",
        ),
        "fs" | "io" | "net" | "os" | "path" => (
            "does I/O",
            "read the data before building and pass it as a parameter",
        ),
        "process" => (
            "depends on the running process",
            "pass the value as a parameter of the model function",
        ),
        "thread" => (
            "depends on threads",
            "a model function must compute its transitions from its arguments alone",
        ),
        "time" => (
            "reads the clock",
            "pass the value as a parameter of the model function",
        ),
        "sync" | "cell" | "rc" => (
            "gives interior mutability or shared state, which carries values between calls",
            "use plain `let mut` locals",
        ),
        "hash" => (
            "has randomly seeded hashers",
            "use `std::collections::BTreeMap`/`BTreeSet`",
        ),
        "ptr" | "ffi" | "alloc" | "intrinsics" | "arch" => (
            "is unsafe or platform dependent",
            "write it with safe, portable std code",
        ),
        _ => (
            "is not on the list of pure std modules",
            "use pure modules such as `std::cmp`, `std::iter` or `std::collections`, or a `#[phasic::pure]` helper",
        ),
    }
}

/// Why a refused macro is refused, and what to do instead.
fn macro_reason(name: &str) -> &'static str {
    match name {
        "env" | "option_env" => {
            "it reads the build environment, which the key cannot see: pass the value as a parameter"
        }
        "include" | "include_str" | "include_bytes" => {
            "it reads a file, which the key cannot see: read it before building and pass the contents as a parameter"
        }
        "file" | "line" | "column" | "module_path" => {
            "its value changes when unrelated code moves: use a literal"
        }
        "thread_local" => {
            "it declares hidden state shared between calls: use plain `let mut` locals"
        }
        "println" | "print" | "eprintln" | "eprint" | "dbg" | "write" | "writeln" => {
            "it does I/O: print outside the model function"
        }
        "cfg" => {
            "its value differs between builds (debug and release, features) while the key stays the same, and builds share the cache: make the condition a parameter, or a const declared with `consts(…)`"
        }
        _ => {
            "the key cannot see what it expands to: write the code out, or move it into a `#[phasic::pure]` helper (allowed: `vec!`, `assert!`, `assert_eq!`, `assert_ne!`, `debug_assert!`, `matches!`, `panic!`, `unreachable!`, `todo!`, `unimplemented!`, `format!`)"
        }
    }
}

/// Macros whose expansion depends only on their arguments.
pub const PURE_MACROS: &[&str] = &[
    "vec",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "debug_assert_ne",
    "matches",
    "panic",
    "unreachable",
    "todo",
    "unimplemented",
    "format",
];

/// Crates that generate random numbers.
const RANDOM_CRATES: &[&str] = &[
    "rand",
    "fastrand",
    "getrandom",
    "rand_core",
    "rand_chacha",
    "oorandom",
];

/// Checks `f` against the rules: its `initial` expression, which sees
/// only the parameters, then its body. Returns every mistake, each once.
pub fn check(f: &Function) -> Vec<syn::Error> {
    let declared = Declared {
        consts: f.args.consts.iter().map(Ident::to_string).collect(),
        helpers: f.args.helpers.iter().map(Ident::to_string).collect(),
        types: imported_types(&f.item.sig)
            .iter()
            .map(Ident::to_string)
            .collect(),
    };
    let params = || f.params.iter().map(|p| p.ident.to_string());
    // `initial` comes first, so that a mistake made in both is reported
    // where it is written first
    let mut rules = Rules::new(f.kind, &declared, params());
    check_signature_types(&mut rules, &f.item.sig);
    if let Some(init) = &f.args.initial {
        rules.visit_expr(init);
    }
    rules.rescope(f.leading.iter().map(Ident::to_string).chain(params()));
    rules.visit_block(&f.item.block);
    rules.errors
}

/// What a body may refer to besides locals and the prelude.
struct Declared {
    consts: HashSet<String>,
    helpers: HashSet<String>,
    /// Types named in the signature (imported into the generated module).
    types: HashSet<String>,
}

/// Refuses what the signature's types reach that is random: hashed
/// collections (a parameter or a helper's result of such a type would
/// carry their order into the body) and raw pointers.
fn check_signature_types(rules: &mut Rules<'_>, sig: &syn::Signature) {
    for input in &sig.inputs {
        if let syn::FnArg::Typed(t) = input {
            rules.visit_type(&t.ty);
            for a in &t.attrs {
                rules.visit_attribute(a);
            }
        }
    }
    if let syn::ReturnType::Type(_, t) = &sig.output {
        rules.visit_type(t);
    }
}

/// Names of the hashed collections, whose iteration order is random.
const HASHED: &[&str] = &["HashMap", "HashSet", "RandomState", "hash_map", "hash_set"];

/// The pass: the names in scope and what has been reported.
struct Rules<'d> {
    /// "a model function" or "a pure helper", in the messages.
    kind: Kind,
    declared: &'d Declared,
    scopes: Vec<HashSet<String>>,
    /// What has been reported: each mistake once, at its first use.
    reported: HashSet<String>,
    /// Whether the pattern being visited is refutable (a `match` arm, an
    /// `if let`), where a bare name matches anything.
    refutable: bool,
    errors: Vec<syn::Error>,
}

impl<'d> Rules<'d> {
    fn new(kind: Kind, declared: &'d Declared, params: impl IntoIterator<Item = String>) -> Self {
        Rules {
            kind,
            declared,
            scopes: vec![params.into_iter().collect()],
            reported: HashSet::new(),
            refutable: false,
            errors: Vec::new(),
        }
    }

    /// Starts over with only `params` in scope, keeping what was reported.
    fn rescope(&mut self, params: impl IntoIterator<Item = String>) {
        self.scopes = vec![params.into_iter().collect()];
    }

    /// `msg` in the words of the function's kind (a pure helper is not a
    /// model function).
    fn words(&self, msg: impl std::fmt::Display) -> String {
        let msg = msg.to_string();
        match self.kind {
            Kind::Callback => msg,
            Kind::Pure => msg
                .replace("a model function", "a `#[phasic::pure]` helper")
                .replace("the model function", "the helper")
                .replace("model functions", "pure helpers"),
        }
    }

    fn error(&mut self, span: Span, msg: impl std::fmt::Display) {
        let msg = self.words(msg);
        self.errors.push(syn::Error::new(span, msg));
    }

    /// An error spanning all of `tokens`, unless the mistake named `what`
    /// was already reported.
    fn error_once(&mut self, what: String, tokens: impl ToTokens, msg: impl std::fmt::Display) {
        if self.reported.insert(what) {
            let msg = self.words(msg);
            self.errors.push(syn::Error::new_spanned(tokens, msg));
        }
    }

    fn is_local(&self, name: &str) -> bool {
        self.scopes.iter().any(|s| s.contains(name))
    }

    /// Whether a local in scope differs from `name` by one edit (a typo).
    fn similar_local(&self, name: &str) -> bool {
        self.scopes
            .iter()
            .flatten()
            .any(|local| one_edit_apart(local, name))
    }

    fn bind(&mut self, pat: &Pat) {
        struct Bindings(Vec<String>);
        impl<'ast> Visit<'ast> for Bindings {
            fn visit_pat_ident(&mut self, i: &'ast syn::PatIdent) {
                self.0.push(i.ident.to_string());
                visit::visit_pat_ident(self, i);
            }
        }
        let mut b = Bindings(Vec::new());
        b.visit_pat(pat);
        self.bind_names(b.0);
    }

    fn bind_names(&mut self, names: impl IntoIterator<Item = String>) {
        if let Some(scope) = self.scopes.last_mut() {
            scope.extend(names);
        }
    }

    fn scoped(&mut self, f: impl FnOnce(&mut Self)) {
        self.scopes.push(HashSet::new());
        f(self);
        self.scopes.pop();
    }

    fn check_path(&mut self, path: &Path) {
        let shown = path_text(path);
        if let Some(seg) = path
            .segments
            .iter()
            .find(|s| HASHED.contains(&s.ident.to_string().as_str()))
        {
            return self.error_once(
                "hashed collections".to_string(),
                path,
                format!("`{}` iterates in a random order (randomly seeded hasher), so the same key could build graphs numbered differently: use `std::collections::BTreeMap`/`BTreeSet` or a sorted `Vec`", seg.ident),
            );
        }
        if path.leading_colon.is_some() {
            let krate = path
                .segments
                .first()
                .map(|s| s.ident.to_string())
                .unwrap_or_default();
            return self.error_once(
                format!("::{krate}"),
                path,
                format!("`{shown}` reaches into another crate, which the model key cannot see: model functions may use only `std` and declared items; pass the value as a parameter"),
            );
        }
        let Some(first) = path.segments.first() else {
            return;
        };
        let name = first.ident.to_string();
        let d = self.declared;
        if path.segments.len() == 1 {
            let known = self.is_local(&name)
                || d.consts.contains(&name)
                || d.helpers.contains(&name)
                || d.types.contains(&name)
                || PRELUDE.contains(&name.as_str());
            if known {
                return;
            }
            if self.similar_local(&name) {
                // a typo of a local: rustc's own error names the local
                return;
            }
            let fix = if is_const_name(&name) {
                format!("`{name}` is read but not declared: declare it with `consts({name})`")
            } else if name.chars().next().is_some_and(char::is_uppercase) {
                format!(
                    "`{name}` is not declared: only `std`, the prelude and the types of the signature are visible in a model function"
                )
            } else {
                format!(
                    "`{name}` is not declared: if it is a function, declare it with `helpers({name})` and mark `{name}` with `#[phasic::pure]`"
                )
            };
            return self.error_once(name, &first.ident, fix);
        }
        match name.as_str() {
            "crate" | "super" | "self" => {
                let last = path.segments.last().map(|s| s.ident.to_string()).unwrap_or_default();
                let declare = if path.segments.len() > 2 {
                    "declare consts with `consts(…)` and functions with `helpers(…)`".to_string()
                } else if is_const_name(&last) {
                    format!("add `use {shown};` outside the function and declare it with `consts({last})`")
                } else {
                    format!("add `use {shown};` outside the function, declare it with `helpers({last})` and mark it `#[phasic::pure]`")
                };
                self.error_once(
                    shown.clone(),
                    path,
                    format!("`{shown}` is a path into `{name}::`, which the model key cannot see: {declare}"),
                )
            }
            "std" | "core" | "alloc" => {
                let module = path.segments.get(1).map(|s| s.ident.to_string()).unwrap_or_default();
                if !PURE_STD.contains(&module.as_str()) {
                    let (why, fix) = impure_reason(&module);
                    self.error_once(
                        format!("std::{module}"),
                        path,
                        format!("`{shown}` is refused in a model function because `{name}::{module}` {why}: {fix}"),
                    );
                }
            }
            _ if RANDOM_CRATES.contains(&name.as_str()) => self.error_once(
                name.clone(),
                path,
                format!("`{shown}`: random number generation is a hidden input; a model function must be deterministic (pass random values as parameters)"),
            ),
            _ if PRELUDE.contains(&name.as_str()) || d.types.contains(&name) => {}
            _ => self.error_once(
                name.clone(),
                path,
                format!("`{shown}` refers to another crate or an undeclared module, which the model key cannot see: model functions may use only `std` and declared items; pass the value as a parameter"),
            ),
        }
    }

    fn check_macro(&mut self, mac: &syn::Macro) {
        let name = mac
            .path
            .segments
            .last()
            .map(|s| s.ident.to_string())
            .unwrap_or_default();
        let from_std = match mac.path.segments.first() {
            Some(f) if mac.path.segments.len() > 1 => {
                matches!(f.ident.to_string().as_str(), "std" | "core" | "alloc")
            }
            _ => true,
        };
        // a nested `macro_rules!` was reported where it was defined
        let nested = mac.path.segments.len() == 1 && self.is_local(&format!("{name}!"));
        if nested {
            return;
        }
        if !(from_std && PURE_MACROS.contains(&name.as_str())) {
            if name == "thread_local" {
                // its statics are reported with it, not at each use
                self.bind_names(declared_statics(&mac.tokens));
            }
            let shown = path_text(&mac.path);
            return self.error_once(
                format!("{shown}!"),
                &mac.path,
                format!(
                    "macro `{shown}!` is refused in a model function: {}",
                    macro_reason(&name)
                ),
            );
        }
        let parsed = if name == "matches" {
            matches_args.parse2(mac.tokens.clone())
        } else if name == "vec" {
            vec_args.parse2(mac.tokens.clone())
        } else {
            Punctuated::<Expr, Token![,]>::parse_terminated
                .parse2(mac.tokens.clone())
                .map(|p| p.into_iter().collect())
        };
        match parsed {
            Ok(exprs) => exprs.iter().for_each(|e| self.visit_expr(e)),
            Err(e) => self.error(
                e.span(),
                format!("the arguments of `{name}!` could not be checked: {e}"),
            ),
        }
    }
}

fn vec_args(input: ParseStream) -> syn::Result<Vec<Expr>> {
    if input.is_empty() {
        return Ok(Vec::new());
    }
    let first: Expr = input.parse()?;
    if input.peek(Token![;]) {
        input.parse::<Token![;]>()?;
        return Ok(vec![first, input.parse()?]);
    }
    let mut out = vec![first];
    while !input.is_empty() {
        input.parse::<Token![,]>()?;
        if input.is_empty() {
            break;
        }
        out.push(input.parse()?);
    }
    Ok(out)
}

fn matches_args(input: ParseStream) -> syn::Result<Vec<Expr>> {
    let scrutinee: Expr = input.parse()?;
    input.parse::<Token![,]>()?;
    let pat = Pat::parse_multi_with_leading_vert(input)?;
    let mut out = vec![scrutinee];
    // the pattern is checked as an expression-free match arm
    out.push(syn::parse_quote!(match () { #pat => () }));
    if input.peek(Token![if]) {
        input.parse::<Token![if]>()?;
        out.push(input.parse()?);
    }
    let _ = input.parse::<Option<Token![,]>>()?;
    Ok(out)
}

/// Whether `a` and `b` differ by exactly one inserted, removed or
/// replaced character, or by two swapped neighbours.
fn one_edit_apart(a: &str, b: &str) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a == b {
        return false;
    }
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[prefix..], &b[prefix..]);
    let swapped = ra.len() == rb.len()
        && ra.len() >= 2
        && ra[0] == rb[1]
        && ra[1] == rb[0]
        && ra[2..] == rb[2..];
    swapped
        || (ra.len() == rb.len() && ra[1..] == rb[1..])
        || (ra.len() + 1 == rb.len() && ra == &rb[1..])
        || (rb.len() + 1 == ra.len() && rb == &ra[1..])
}

/// `RATE`, `N_MAX`: how consts and statics are named.
fn is_const_name(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The names of the statics a `thread_local!` declares.
fn declared_statics(tokens: &proc_macro2::TokenStream) -> Vec<String> {
    let mut names = Vec::new();
    let mut after_static = false;
    for tt in tokens.clone() {
        if let proc_macro2::TokenTree::Ident(i) = tt {
            if after_static {
                names.push(i.to_string());
            }
            after_static = i == "static";
        } else {
            after_static = false;
        }
    }
    names
}

/// The names an item brings into scope (`fn f`, `const C`, `use a::{b, c as d}`).
fn item_names(item: &syn::Item) -> Vec<String> {
    fn use_names(tree: &syn::UseTree, out: &mut Vec<String>) {
        match tree {
            syn::UseTree::Path(p) => use_names(&p.tree, out),
            syn::UseTree::Name(n) => out.push(n.ident.to_string()),
            syn::UseTree::Rename(r) => out.push(r.rename.to_string()),
            syn::UseTree::Glob(_) => {}
            syn::UseTree::Group(g) => g.items.iter().for_each(|t| use_names(t, out)),
        }
    }
    let ident = match item {
        syn::Item::Const(i) => Some(&i.ident),
        syn::Item::Enum(i) => Some(&i.ident),
        syn::Item::Fn(i) => Some(&i.sig.ident),
        syn::Item::Mod(i) => Some(&i.ident),
        syn::Item::Static(i) => Some(&i.ident),
        syn::Item::Struct(i) => Some(&i.ident),
        syn::Item::Trait(i) => Some(&i.ident),
        syn::Item::Type(i) => Some(&i.ident),
        syn::Item::Union(i) => Some(&i.ident),
        // `macro_rules! m` binds `m!`
        syn::Item::Macro(m) => {
            return m.ident.iter().map(|i| format!("{i}!")).collect();
        }
        syn::Item::Use(u) => {
            let mut out = Vec::new();
            use_names(&u.tree, &mut out);
            return out;
        }
        _ => None,
    };
    ident.map(Ident::to_string).into_iter().collect()
}

/// The tokens of `item` up to its name (`static mut CALLS`, `fn rate`),
/// or all of a `use`: what an error about a nested item underlines.
fn item_head(item: &syn::Item, names: &[String]) -> proc_macro2::TokenStream {
    let all = item.to_token_stream();
    if matches!(item, syn::Item::Use(_)) {
        return all;
    }
    let mut head = proc_macro2::TokenStream::new();
    for tt in all {
        let last = matches!(&tt, proc_macro2::TokenTree::Ident(i)
            if names.iter().any(|n| *i == n.trim_end_matches('!')));
        head.extend([tt]);
        if last {
            break;
        }
    }
    head
}

fn path_text(path: &Path) -> String {
    let segs: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
    format!(
        "{}{}",
        if path.leading_colon.is_some() {
            "::"
        } else {
            ""
        },
        segs.join("::")
    )
}

impl<'ast> Visit<'ast> for Rules<'_> {
    fn visit_block(&mut self, b: &'ast syn::Block) {
        self.scoped(|s| visit::visit_block(s, b));
    }

    fn visit_stmt(&mut self, s: &'ast syn::Stmt) {
        if let syn::Stmt::Item(item) = s {
            let msg = match item {
                syn::Item::Static(st) if matches!(st.mutability, syn::StaticMutability::Mut(_)) => {
                    "`static mut` is hidden state shared between calls: use plain `let mut` locals, or pass the value as a parameter".to_string()
                }
                syn::Item::Use(_) => "`use` inside a model function is not allowed: write `std::…` paths in full, or declare items with `consts(…)`/`helpers(…)`".to_string(),
                syn::Item::Fn(f) => format!(
                    "nested items are not allowed in a model function: move `fn {}` out, mark it `#[phasic::pure]` and declare it with `helpers({})`",
                    f.sig.ident, f.sig.ident
                ),
                syn::Item::Const(c) => format!(
                    "nested items are not allowed in a model function: move `const {}` out and declare it with `consts({})`",
                    c.ident, c.ident
                ),
                _ => "nested items are not allowed in a model function: move it out and declare it with `consts(…)` or `helpers(…)`".to_string(),
            };
            let names = item_names(item);
            let msg = self.words(msg);
            self.errors
                .push(syn::Error::new_spanned(item_head(item, &names), msg));
            // its uses are not reported again
            return self.bind_names(names);
        }
        visit::visit_stmt(self, s);
    }

    fn visit_local(&mut self, l: &'ast syn::Local) {
        l.attrs.iter().for_each(|a| self.visit_attribute(a));
        if let Some(init) = &l.init {
            self.visit_local_init(init);
        }
        self.visit_pat(&l.pat);
        self.bind(&l.pat);
    }

    fn visit_expr_closure(&mut self, c: &'ast syn::ExprClosure) {
        c.attrs.iter().for_each(|a| self.visit_attribute(a));
        if let Some(a) = &c.asyncness {
            return self.error(a.span(), "`async` is not allowed in a model function");
        }
        self.scoped(|s| {
            for p in &c.inputs {
                s.visit_pat(p);
                s.bind(p);
            }
            s.visit_expr(&c.body);
        });
    }

    fn visit_expr_for_loop(&mut self, f: &'ast syn::ExprForLoop) {
        f.attrs.iter().for_each(|a| self.visit_attribute(a));
        self.visit_expr(&f.expr);
        self.scoped(|s| {
            s.visit_pat(&f.pat);
            s.bind(&f.pat);
            s.visit_block(&f.body);
        });
    }

    fn visit_arm(&mut self, a: &'ast syn::Arm) {
        a.attrs.iter().for_each(|at| self.visit_attribute(at));
        self.scoped(|s| {
            // bind first: a guard (part of the pattern) sees the bindings
            s.bind(&a.pat);
            s.refutable = true;
            s.visit_pat(&a.pat);
            s.refutable = false;
            s.visit_expr(&a.body);
        });
    }

    fn visit_expr_let(&mut self, l: &'ast syn::ExprLet) {
        l.attrs.iter().for_each(|a| self.visit_attribute(a));
        self.visit_expr(&l.expr);
        self.refutable = true;
        self.visit_pat(&l.pat);
        self.refutable = false;
        self.bind(&l.pat);
    }

    fn visit_expr_unsafe(&mut self, u: &'ast syn::ExprUnsafe) {
        self.error(
            u.unsafe_token.span(),
            "`unsafe` is not allowed in a model function",
        );
    }

    fn visit_expr_async(&mut self, a: &'ast syn::ExprAsync) {
        self.error(
            a.async_token.span(),
            "`async` is not allowed in a model function",
        );
    }

    fn visit_macro(&mut self, m: &'ast syn::Macro) {
        self.check_macro(m);
    }

    fn visit_path(&mut self, p: &'ast Path) {
        self.check_path(p);
        for seg in &p.segments {
            self.visit_path_arguments(&seg.arguments);
        }
    }

    fn visit_ident(&mut self, _: &'ast Ident) {}

    fn visit_attribute(&mut self, a: &'ast syn::Attribute) {
        let path = a.path();
        if path.is_ident("cfg") || path.is_ident("cfg_attr") {
            self.error_once(
                "cfg".to_string(),
                a,
                "conditional compilation inside a model function gives one key and several graphs (debug and release builds, or builds with other features, share the cache): make the condition a parameter, or a const declared with `consts(…)`",
            );
        }
    }

    fn visit_type_ptr(&mut self, t: &'ast syn::TypePtr) {
        self.error_once(
            "raw pointer".to_string(),
            t,
            "raw pointers are not allowed in a model function: their addresses change from run to run",
        );
    }

    fn visit_pat_ident(&mut self, p: &'ast syn::PatIdent) {
        let name = p.ident.to_string();
        let bare = p.subpat.is_none() && p.by_ref.is_none() && p.mutability.is_none();
        let constant_like = name.len() > 1 && is_const_name(&name);
        if self.refutable && bare && constant_like && !self.declared.consts.contains(&name) {
            self.error_once(
                format!("pattern {name}"),
                &p.ident,
                format!("`{name}` in a pattern binds a new variable that matches anything; if it is a constant, declare it with `consts({name})`"),
            );
        }
        visit::visit_pat_ident(self, p);
    }
}

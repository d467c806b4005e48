//! The house rules of the source tree, checked on every `cargo test`: the
//! top-level modules are floors, and a module uses only the floors below
//! its own (`app` may use anything, nothing uses `app`); no two modules
//! use each other, even through others (no cycles); and no source file
//! grows past about 450 lines of code besides its tests. The README's "How
//! the code is laid out" says why.
//!
//! Uses are read from the source text: every `crate::a::b` and `super::`
//! path, in code and in `use` lines alike (a path in a doc comment counts
//! too: a doc that points up a floor is as wrong as the code).
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The floors, top first.
const FLOORS: &[&[&str]] = &[
    &["app"],
    &["cli"],
    &["render"],
    &["ops"],
    &["cache"],
    &["auth"],
    &["decide"],
    &["system"],
    &["text", "error"],
];

/// Most lines of code (besides `#[cfg(test)]` modules, comments and blank
/// lines) a file may have.
const MAX_CODE_LINES: usize = 450;

fn floor_of(top: &str) -> usize {
    FLOORS
        .iter()
        .position(|f| f.contains(&top))
        .unwrap_or_else(|| panic!("module `{top}` is on no floor: add it to FLOORS"))
}

struct File {
    /// `["ops", "login", "flows"]` for src/ops/login/flows.rs.
    module: Vec<String>,
    text: String,
}

fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|c| c.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

fn sources() -> Vec<File> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<File>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, root, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(root).unwrap();
                if rel == Path::new("main.rs") || rel == Path::new("lib.rs") {
                    continue;
                }
                out.push(File {
                    module: module_of(rel),
                    text: std::fs::read_to_string(&p).unwrap(),
                });
            }
        }
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    walk(&root, &root, &mut out);
    out
}

/// The module paths a file names: `crate::x::y…` as written, and
/// `super::…` resolved against the file's own module.
fn uses(f: &File) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let bytes = f.text.as_bytes();
    let ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        let boundary = i == 0 || !ident(bytes[i - 1]);
        let (base, skip): (Vec<String>, usize) = if boundary && rest.starts_with(b"crate::") {
            (Vec::new(), "crate::".len())
        } else if boundary && rest.starts_with(b"super::") {
            let mut base = f.module.clone();
            let mut r = rest;
            while let Some(t) = r.strip_prefix(b"super::".as_slice()) {
                // A file's module is its parent's child: `super` from
                // src/a/b.rs is `a`.
                base.pop();
                r = t;
            }
            (base, rest.len() - r.len())
        } else {
            i += 1;
            continue;
        };
        let mut j = i + skip;
        let mut path = base;
        loop {
            let start = j;
            while j < bytes.len() && ident(bytes[j]) {
                j += 1;
            }
            if j == start {
                break;
            }
            path.push(f.text[start..j].to_owned());
            if bytes[j..].starts_with(b"::") && j + 2 < bytes.len() && ident(bytes[j + 2]) {
                j += 2;
            } else {
                break;
            }
        }
        if !path.is_empty() {
            out.push(path);
        }
        i = j.max(i + 1);
    }
    out
}

/// The module (a directory or file under src/) a path names, at most two
/// levels deep: `crate::system::net::bind::try_bind` is `system::net`.
fn node(path: &[String], modules: &BTreeSet<Vec<String>>) -> Vec<String> {
    let mut n = Vec::new();
    for seg in path.iter().take(2) {
        let mut next = n.clone();
        next.push(seg.clone());
        if modules.contains(&next) {
            n = next;
        } else {
            break;
        }
    }
    n
}

#[test]
fn no_module_uses_a_floor_above_its_own() {
    let files = sources();
    let mut bad = Vec::new();
    for f in &files {
        let mine = floor_of(&f.module[0]);
        for u in uses(f) {
            let top = &u[0];
            if FLOORS.iter().all(|fl| !fl.contains(&top.as_str())) {
                continue; // an item of the crate root, or a macro path
            }
            if floor_of(top) < mine {
                bad.push(format!("{} uses {}", f.module.join("::"), u.join("::")));
            }
        }
    }
    bad.sort();
    bad.dedup();
    assert!(bad.is_empty(), "uses up a floor:\n{}", bad.join("\n"));
}

#[test]
fn no_two_modules_use_each_other() {
    let files = sources();
    let modules: BTreeSet<Vec<String>> = files
        .iter()
        .flat_map(|f| (1..=f.module.len()).map(|k| f.module[..k].to_vec()))
        .collect();
    let mut edges: BTreeMap<Vec<String>, BTreeSet<Vec<String>>> = BTreeMap::new();
    for f in &files {
        let from = node(&f.module, &modules);
        for u in uses(f) {
            let to = node(&u, &modules);
            // A module and its parent (re-exports, shared types) are one
            // unit; a cycle is between modules side by side.
            if to.is_empty() || from.starts_with(&to) || to.starts_with(&from) {
                continue;
            }
            edges.entry(from.clone()).or_default().insert(to);
        }
    }
    // A cycle shows as a pair that reaches each other.
    let reach = |a: &Vec<String>| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![a.clone()];
        while let Some(n) = todo.pop() {
            for m in edges.get(&n).into_iter().flatten() {
                if seen.insert(m.clone()) {
                    todo.push(m.clone());
                }
            }
        }
        seen
    };
    let mut cycles = BTreeSet::new();
    for a in edges.keys() {
        for b in reach(a) {
            if a < &b && reach(&b).contains(a) {
                cycles.insert(format!("{} <-> {}", a.join("::"), b.join("::")));
            }
        }
    }
    assert!(
        cycles.is_empty(),
        "modules that use each other:\n{}",
        cycles.into_iter().collect::<Vec<_>>().join("\n")
    );
}

/// Lines of code outside `#[cfg(test)]` modules, comments and blank lines.
fn code_lines(text: &str) -> usize {
    let mut n = 0;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim();
        if t.starts_with("#[cfg(test)]") || t.starts_with("#[cfg(all(test") {
            // Skip the test module that follows, by its braces.
            let mut depth = 0i32;
            let mut opened = false;
            for l in lines.by_ref() {
                depth += l.matches('{').count() as i32 - l.matches('}').count() as i32;
                opened |= l.contains('{');
                if opened && depth <= 0 {
                    break;
                }
            }
            continue;
        }
        if t.is_empty() || t.starts_with("//") {
            continue;
        }
        n += 1;
    }
    n
}

#[test]
fn no_source_file_is_too_long() {
    let mut long: Vec<String> = sources()
        .iter()
        .filter_map(|f| {
            let n = code_lines(&f.text);
            (n > MAX_CODE_LINES).then(|| format!("{} ({n} lines)", f.module.join("::")))
        })
        .collect();
    long.sort();
    assert!(
        long.is_empty(),
        "longer than {MAX_CODE_LINES} lines of code:\n{}",
        long.join("\n")
    );
}

//! The workspace's layout: no module of any crate imports another that imports it back, however
//! long the circle. A module here is a file; a file imports what its code names through
//! `crate::…`, `super::…` or `self::…` paths (in `use` lines and in expressions alike). `mod`
//! lines are not imports, and `#[cfg(test)]` code is left out: a test module reaches into its
//! parent by design.
//!
//! `cargo test -p fauxauth-core --test modules` runs it; a failure names each circle's files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use syn::visit::Visit;

/// A module's path inside its crate: `["endpoints", "token"]`; the crate root is empty.
type Module = Vec<String>;

#[test]
fn no_crate_has_a_module_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut crates: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .filter_map(|entry| {
            let dir = entry.ok()?.path();
            (dir.join("Cargo.toml").is_file() && dir.join("src").is_dir()).then_some(dir)
        })
        .collect();
    crates.sort();
    assert!(
        crates.len() >= 6,
        "the workspace's crates were found: {crates:?}"
    );
    let mut cycles = Vec::new();
    for dir in &crates {
        let files = sources(&dir.join("src"));
        for cycle in module_cycles(&files) {
            cycles.push(format!("{}: {}", dir.display(), cycle.join(", ")));
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

#[test]
fn a_circle_through_crate_and_super_paths_is_found_and_tests_and_mod_lines_are_not_imports() {
    let files = |entries: &[(&str, &str)]| -> BTreeMap<String, String> {
        entries
            .iter()
            .map(|(path, text)| ((*path).to_owned(), (*text).to_owned()))
            .collect()
    };
    let circle = files(&[
        ("lib.rs", "mod store; mod endpoints;"),
        (
            "store.rs",
            "use crate::endpoints::token::Request; pub struct Store;",
        ),
        ("endpoints/mod.rs", "mod token;"),
        (
            "endpoints/token.rs",
            "pub struct Request; fn f() { let _ = super::super::store::Store; }",
        ),
    ]);
    assert_eq!(
        module_cycles(&circle),
        [vec!["endpoints/token.rs".to_owned(), "store.rs".to_owned()]]
    );
    let none = files(&[
        ("lib.rs", "mod store; mod endpoints; pub use store::Store;"),
        (
            "store.rs",
            "pub struct Store; #[cfg(test)] mod tests { use crate::endpoints::f; use super::*; }",
        ),
        (
            "endpoints.rs",
            "use crate::store::Store; pub fn f() {} mod inner { use super::super::Store; }",
        ),
    ]);
    assert!(module_cycles(&none).is_empty());
}

/// Every `.rs` file under `src`, by its path relative to `src` (with `/`), and its text.
fn sources(src: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let mut dirs = vec![src.to_owned()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let relative = path.strip_prefix(src).unwrap().to_string_lossy();
                let text = std::fs::read_to_string(&path).unwrap();
                files.insert(relative.replace('\\', "/"), text);
            }
        }
    }
    files
}

/// The module a file is: `endpoints/token.rs` and `endpoints/token/mod.rs` are
/// `endpoints::token`, `lib.rs` the crate root.
fn module_of(file: &str) -> Module {
    let mut parts: Module = file
        .trim_end_matches(".rs")
        .split('/')
        .map(str::to_owned)
        .collect();
    if parts
        .last()
        .is_some_and(|last| matches!(last.as_str(), "mod" | "lib" | "main"))
    {
        parts.pop();
    }
    parts
}

/// Each circle of files importing each other, each sorted, in a stable order.
fn module_cycles(files: &BTreeMap<String, String>) -> Vec<Vec<String>> {
    let modules: BTreeMap<Module, &str> = files
        .keys()
        .filter(|file| !file.starts_with("bin/"))
        .map(|file| (module_of(file), file.as_str()))
        .collect();
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (module, file) in &modules {
        let text = &files[*file];
        let parsed = syn::parse_file(text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let mut paths = Paths {
            here: module.clone(),
            found: Vec::new(),
        };
        paths.visit_file(&parsed);
        for path in paths.found {
            // The longest module the path names; the rest is an item inside it.
            let target = (0..=path.len())
                .rev()
                .find_map(|n| modules.get_key_value(&path[..n]))
                .map(|(_, file)| *file);
            if let Some(target) = target
                && target != *file
            {
                edges.entry(file).or_default().insert(target);
            }
        }
    }
    let mut cycles: Vec<Vec<String>> = strongly_connected(&edges)
        .into_iter()
        .filter(|component| component.len() > 1)
        .map(|component| component.into_iter().map(str::to_owned).collect())
        .collect();
    cycles.sort();
    cycles
}

/// The absolute module paths a file's code names, `#[cfg(test)]` items left out.
struct Paths {
    /// Where the visitor is: the file's module, then any inline modules it is inside.
    here: Module,
    found: Vec<Module>,
}

impl Paths {
    /// `segments` resolved from where the visitor is, when they start at `crate`, `super` or
    /// `self`.
    fn resolve(&self, segments: &[String]) -> Option<Module> {
        let (first, rest) = segments.split_first()?;
        match first.as_str() {
            "crate" => Some(rest.to_vec()),
            "self" => Some([self.here.clone(), rest.to_vec()].concat()),
            "super" => {
                // Each `super` is one module up, from a `mod.rs` as from any other file.
                let ups = segments.iter().take_while(|s| *s == "super").count();
                let base = self.here.len().checked_sub(ups)?;
                Some([self.here[..base].to_vec(), segments[ups..].to_vec()].concat())
            }
            _ => None,
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(path) => {
                prefix.push(path.ident.to_string());
                self.use_tree(prefix, &path.tree);
                prefix.pop();
            }
            syn::UseTree::Name(name) => self.leaf(prefix, &name.ident.to_string()),
            syn::UseTree::Rename(rename) => self.leaf(prefix, &rename.ident.to_string()),
            syn::UseTree::Glob(_) => self.leaf(prefix, "self"),
            syn::UseTree::Group(group) => {
                for tree in &group.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }

    fn leaf(&mut self, prefix: &[String], last: &str) {
        let mut segments = prefix.to_vec();
        if last != "self" || segments.is_empty() {
            segments.push(last.to_owned());
        }
        if let Some(path) = self.resolve(&segments) {
            self.found.push(path);
        }
    }
}

fn is_test_only(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("cfg")
            && attr
                .parse_args::<syn::Meta>()
                .is_ok_and(|meta| meta.path().is_ident("test"))
    })
}

impl<'ast> Visit<'ast> for Paths {
    fn visit_item(&mut self, item: &'ast syn::Item) {
        let attrs: &[syn::Attribute] = match item {
            syn::Item::Const(i) => &i.attrs,
            syn::Item::Enum(i) => &i.attrs,
            syn::Item::Fn(i) => &i.attrs,
            syn::Item::Impl(i) => &i.attrs,
            syn::Item::Mod(i) => &i.attrs,
            syn::Item::Static(i) => &i.attrs,
            syn::Item::Struct(i) => &i.attrs,
            syn::Item::Trait(i) => &i.attrs,
            syn::Item::Type(i) => &i.attrs,
            syn::Item::Use(i) => &i.attrs,
            _ => &[],
        };
        if !is_test_only(attrs) {
            syn::visit::visit_item(self, item);
        }
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        // `mod name;` declares a file, which is no import; an inline module is code here.
        if item.content.is_some() {
            self.here.push(item.ident.to_string());
            syn::visit::visit_item_mod(self, item);
            self.here.pop();
        }
    }

    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&mut Vec::new(), &item.tree);
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let segments: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let Some(found) = self.resolve(&segments) {
            self.found.push(found);
        }
        syn::visit::visit_path(self, path);
    }
}

/// Tarjan's strongly connected components of `edges`.
fn strongly_connected<'a>(edges: &BTreeMap<&'a str, BTreeSet<&'a str>>) -> Vec<Vec<&'a str>> {
    struct Walk<'e, 'a> {
        edges: &'e BTreeMap<&'a str, BTreeSet<&'a str>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        components: Vec<Vec<&'a str>>,
    }
    impl<'a> Walk<'_, 'a> {
        fn visit(&mut self, v: &'a str) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for &w in self.edges.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let low = self.low[v].min(self.low[w]);
                    self.low.insert(v, low);
                } else if self.stack.contains(&w) {
                    let low = self.low[v].min(self.index[w]);
                    self.low.insert(v, low);
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                component.sort_unstable();
                self.components.push(component);
            }
        }
    }
    let mut walk = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        components: Vec::new(),
    };
    for &v in edges.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    walk.components
}

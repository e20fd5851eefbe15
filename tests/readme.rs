//! README.md promises: the two commands, and the rule list, which must match the registry.

const START: &str =
    "<!-- rules:start (generated from the rule files; tests/readme.rs checks it) -->\n\n";
const END: &str = "<!-- rules:end -->";

#[test]
fn the_readme_rule_list_matches_the_registry() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let table = format!("{}\n", cutover::check::registry::markdown_table());
    let start = readme
        .find(START)
        .expect("README.md has the rules:start marker")
        + START.len();
    let end = readme
        .find(END)
        .expect("README.md has the rules:end marker");
    if readme[start..end] != table {
        if std::env::var_os("CUTOVER_UPDATE_README").is_some() {
            let updated = format!("{}{}{}", &readme[..start], table, &readme[end..]);
            std::fs::write("README.md", updated).unwrap();
        } else {
            panic!(
                "README.md's rule list is stale: run the tests with CUTOVER_UPDATE_README=1 to regenerate it"
            );
        }
    }
}

#[test]
fn the_readme_holds_the_two_commands() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    assert!(readme.contains(
        "\ncargo run --release -- compile examples/piggymetrics.yaml -o out/piggymetrics\n"
    ));
    assert!(readme.contains("\ncargo test\n"));
}

//! Golden tests of bad manifests and configs: each `tests/ui/<name>.toml`
//! must fail with exactly the text in `tests/ui/<name>.err`. Files named
//! `config_*` are runtime configs, the others job manifests. Run with
//! `WARDEN_BLESS=1` to rewrite the .err files after a deliberate change.

use std::path::Path;

use warden::config::Config;
use warden::manifest::Manifest;

#[test]
fn bad_inputs_fail_with_the_recorded_error() {
    let dir = Path::new(warden_test_artifacts::ROOT).join("tests/ui");
    let bless = std::env::var_os("WARDEN_BLESS").is_some();
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "{} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let name = case.file_stem().unwrap().to_str().unwrap().to_string();
        let text = std::fs::read_to_string(&case).unwrap();
        // Errors name the file as a user would have typed it.
        let shown = Path::new("tests/ui").join(format!("{name}.toml"));
        let error = if name.starts_with("config_") {
            Config::parse(&shown, &text).err().map(|e| e.to_string())
        } else {
            Manifest::parse(&shown, &text).err().map(|e| e.to_string())
        };
        let Some(error) = error else {
            failures.push(format!("{name}: parsed without error"));
            continue;
        };
        let golden = case.with_extension("err");
        if bless {
            std::fs::write(&golden, format!("{error}\n")).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        if expected.trim_end() != error {
            failures.push(format!(
                "{name}:\n  expected: {}\n  actual:   {error}",
                expected.trim_end()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "\n{}\n(WARDEN_BLESS=1 rewrites the .err files)",
        failures.join("\n")
    );
}

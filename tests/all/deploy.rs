//! The deployment files in examples/deploy/: the Kubernetes objects have the
//! hardening and wiring the README promises, every config in them is one
//! Warden accepts and points where the volumes are, the systemd unit passes
//! `systemd-analyze verify`, the install script lays out pinned jobs, and a
//! token handed over as a systemd credential reaches Canvas through the
//! real binary.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize as _;
use serde_yaml_ng::Value;
use warden::config::Config;
use warden::manifest::Manifest;
use warden::token::TokenSource;

use crate::support::{cache_home, standin, TempDir, TOKEN};

const WARDEN: &str = env!("CARGO_BIN_EXE_warden");

fn deploy_dir() -> PathBuf {
    Path::new(warden_test_artifacts::ROOT).join("examples/deploy")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every YAML document of every examples/deploy/k8s/*.yaml, with its file.
fn k8s_objects() -> Vec<(String, Value)> {
    let dir = deploy_dir().join("k8s");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert!(files.len() >= 2, "{files:?}");
    let mut objects = Vec::new();
    for file in files {
        let text = read(&file);
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for document in serde_yaml_ng::Deserializer::from_str(&text) {
            let value = serde_yaml_ng::Value::deserialize(document)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            if value.is_null() {
                continue;
            }
            assert!(
                value["apiVersion"].is_string() && value["kind"].is_string(),
                "{name}: a document without apiVersion and kind: {value:?}"
            );
            objects.push((name.clone(), value));
        }
    }
    objects
}

/// The one object of this kind (and name, when given).
fn object<'a>(objects: &'a [(String, Value)], kind: &str, name: Option<&str>) -> &'a Value {
    let found: Vec<&Value> = objects
        .iter()
        .map(|(_, v)| v)
        .filter(|v| v["kind"] == kind)
        .filter(|v| name.is_none_or(|n| v["metadata"]["name"] == n))
        .collect();
    assert_eq!(found.len(), 1, "{kind} {name:?}: {} found", found.len());
    found[0]
}

fn str_of<'a>(v: &'a Value, what: &str) -> &'a str {
    v.as_str()
        .unwrap_or_else(|| panic!("{what}: not a string: {v:?}"))
}

fn seq<'a>(v: &'a Value, what: &str) -> &'a [Value] {
    v.as_sequence()
        .unwrap_or_else(|| panic!("{what}: not a list: {v:?}"))
}

/// What a pod template must say about privilege, and its one container.
fn check_hardened_pod<'a>(pod: &'a Value, what: &str) -> &'a Value {
    assert_eq!(
        pod["automountServiceAccountToken"], false,
        "{what}: automountServiceAccountToken"
    );
    let pod_security = &pod["securityContext"];
    assert_eq!(
        pod_security["runAsNonRoot"], true,
        "{what}: pod runAsNonRoot"
    );
    assert_eq!(
        pod_security["seccompProfile"]["type"], "RuntimeDefault",
        "{what}: pod seccompProfile"
    );
    let uid = pod_security["runAsUser"].as_u64().unwrap_or(0);
    assert!(uid > 0, "{what}: runAsUser {uid}");
    // Root-owned Secret files are readable by Warden through this group.
    assert_eq!(
        pod_security["fsGroup"].as_u64(),
        Some(uid),
        "{what}: fsGroup"
    );
    let containers = seq(&pod["containers"], what);
    assert_eq!(containers.len(), 1, "{what}: containers");
    let container = &containers[0];
    let security = &container["securityContext"];
    assert_eq!(security["runAsNonRoot"], true, "{what}: runAsNonRoot");
    assert_eq!(
        security["readOnlyRootFilesystem"], true,
        "{what}: readOnlyRootFilesystem"
    );
    assert_eq!(
        security["allowPrivilegeEscalation"], false,
        "{what}: allowPrivilegeEscalation"
    );
    let drop: Vec<&str> = seq(&security["capabilities"]["drop"], what)
        .iter()
        .map(|c| str_of(c, what))
        .collect();
    assert_eq!(drop, ["ALL"], "{what}: capabilities.drop");
    assert!(
        security["capabilities"]["add"].is_null(),
        "{what}: capabilities.add"
    );
    assert_eq!(
        security["seccompProfile"]["type"], "RuntimeDefault",
        "{what}: seccompProfile"
    );
    // Secrets mounted as files that only their owner may read.
    for volume in seq(&pod["volumes"], what) {
        if !volume["secret"].is_null() {
            assert_eq!(
                volume["secret"]["defaultMode"].as_u64(),
                Some(0o400),
                "{what}: volume {:?}: defaultMode must be 0400 (256)",
                volume["name"]
            );
        }
    }
    container
}

/// The container's mounts: (mount path, volume, read-only).
fn mounts(container: &Value) -> Vec<(String, String, bool)> {
    seq(&container["volumeMounts"], "volumeMounts")
        .iter()
        .map(|m| {
            (
                str_of(&m["mountPath"], "mountPath").to_string(),
                str_of(&m["name"], "name").to_string(),
                m["readOnly"] == true,
            )
        })
        .collect()
}

/// The mount `path` lies in, if any: (mount path, volume, read-only).
fn mount_of(mounts: &[(String, String, bool)], path: &Path) -> Option<(PathBuf, String, bool)> {
    mounts
        .iter()
        .filter(|(at, _, _)| path.starts_with(at))
        .max_by_key(|(at, _, _)| at.len())
        .map(|(at, volume, read_only)| (PathBuf::from(at), volume.clone(), *read_only))
}

/// The volume named `name` in the pod.
fn volume<'a>(pod: &'a Value, name: &str) -> &'a Value {
    seq(&pod["volumes"], "volumes")
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no volume {name}"))
}

/// The value after `--config` in the container's args.
fn config_arg(container: &Value) -> String {
    let args: Vec<&str> = seq(&container["args"], "args")
        .iter()
        .map(|a| str_of(a, "args"))
        .collect();
    let at = args
        .iter()
        .position(|a| *a == "--config")
        .unwrap_or_else(|| panic!("no --config in {args:?}"));
    args[at + 1].to_string()
}

/// The `[dashboard]` table of a config, commented out (`# [dashboard]` and
/// the `# key = value` lines after it) or not; None when there is none.
fn dashboard_table(text: &str) -> Option<toml::Table> {
    let uncomment = |line: &str| {
        let line = line.trim();
        line.strip_prefix('#').map_or(line, str::trim).to_string()
    };
    let mut lines = text.lines().map(uncomment);
    lines.find(|l| l == "[dashboard]")?;
    let body: Vec<String> = lines
        .take_while(|l| !l.is_empty() && !l.starts_with('['))
        .collect();
    Some(toml::from_str(&body.join("\n")).unwrap_or_else(|e| panic!("[dashboard]: {e}")))
}

/// The config a ConfigMap holds, parsed where the pod mounts it, checked
/// against the pod's volumes: the token file is in a Secret volume, and
/// everything Warden writes (history, spill file, compiled components) is
/// on a writable volume, since the root file system is read-only.
fn check_config_map(objects: &[(String, Value)], pod: &Value, container: &Value) -> Config {
    let mounts = mounts(container);
    let config_path = PathBuf::from(config_arg(container));
    let (at, volume_name, read_only) = mount_of(&mounts, &config_path)
        .unwrap_or_else(|| panic!("--config {} is on no volume", config_path.display()));
    assert!(read_only, "the config volume is mounted read-only");
    let map_name = str_of(&volume(pod, &volume_name)["configMap"]["name"], "configMap");
    let map = object(objects, "ConfigMap", Some(map_name));
    let key = config_path.strip_prefix(&at).unwrap().to_str().unwrap();
    let text = str_of(&map["data"][key], "ConfigMap data");
    let config = Config::parse(&config_path, text).unwrap_or_else(|e| panic!("{e}"));

    let TokenSource::File(token) = &config.canvas.token else {
        panic!("the token comes from a file: {}", config.canvas.token)
    };
    let (_, token_volume, read_only) =
        mount_of(&mounts, token).unwrap_or_else(|| panic!("{} is on no volume", token.display()));
    assert!(read_only);
    let secret = &volume(pod, &token_volume)["secret"];
    assert!(secret.is_mapping(), "{} is in a Secret", token.display());
    assert_eq!(token.file_name().unwrap(), "canvas-token");

    let state = config.state.as_deref().expect("state");
    let cache = config.cache.as_deref().expect("cache");
    for written in [state.parent().unwrap(), cache, Path::new("/tmp")] {
        let (_, name, read_only) = mount_of(&mounts, written)
            .unwrap_or_else(|| panic!("{} is on the read-only root", written.display()));
        assert!(!read_only, "{} is writable", written.display());
        let v = volume(pod, &name);
        assert!(
            v["persistentVolumeClaim"].is_mapping() || v["emptyDir"].is_mapping(),
            "{}: {v:?}",
            written.display()
        );
    }
    config
}

#[test]
fn the_deployment_runs_one_hardened_serve_with_probes_and_secrets() {
    let objects = k8s_objects();
    let deployment = object(&objects, "Deployment", None);
    let spec = &deployment["spec"];
    assert_eq!(spec["replicas"].as_u64(), Some(1));
    assert_eq!(spec["strategy"]["type"], "Recreate");
    let pod = &spec["template"]["spec"];
    let container = check_hardened_pod(pod, "Deployment");
    assert_eq!(container["args"][0], "serve");

    // Probes on the dashboard's port.
    let port = seq(&container["ports"], "ports")
        .iter()
        .find(|p| p["containerPort"].as_u64() == Some(8080))
        .expect("containerPort 8080");
    let port_name = str_of(&port["name"], "port name");
    for (probe, path) in [("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")] {
        let get = &container[probe]["httpGet"];
        assert_eq!(get["path"], path, "{probe}");
        assert!(
            get["port"] == port_name || get["port"].as_u64() == Some(8080),
            "{probe}: port {:?}",
            get["port"]
        );
    }
    // The grace period covers the config's shutdown_grace.
    let config = check_config_map(&objects, pod, container);
    let grace = pod["terminationGracePeriodSeconds"].as_u64().unwrap();
    assert!(grace > config.daemon.shutdown_grace.as_secs(), "{grace}");

    // The history on the claim.
    let mounts = mounts(container);
    let state = config.state.as_deref().unwrap();
    let (_, state_volume, _) = mount_of(&mounts, state).unwrap();
    let claim = str_of(
        &volume(pod, &state_volume)["persistentVolumeClaim"]["claimName"],
        "claimName",
    );
    let pvc = object(&objects, "PersistentVolumeClaim", Some(claim));
    assert_eq!(pvc["spec"]["accessModes"][0], "ReadWriteOnce");

    // A non-loopback listen needs admin_token_file, in a Secret volume.
    let text = str_of(
        &object(&objects, "ConfigMap", Some("warden-config"))["data"]["warden.toml"],
        "warden.toml",
    );
    let dashboard = dashboard_table(text).expect("a [dashboard] table");
    assert_eq!(dashboard["listen"].as_str(), Some("0.0.0.0:8080"));
    let parsed = Config::parse(Path::new("/etc/warden/config/warden.toml"), text)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(parsed.dashboard.is_some(), "the probes need [dashboard] on");
    let admin = Path::new(
        dashboard["admin_token_file"]
            .as_str()
            .expect("admin_token_file"),
    );
    let (_, admin_volume, read_only) = mount_of(&mounts, admin).expect("admin token mounted");
    assert!(read_only && volume(pod, &admin_volume)["secret"].is_mapping());

    // The Service reaches the pod's dashboard port.
    let service = object(&objects, "Service", Some("warden-dashboard"));
    let labels = &spec["template"]["metadata"]["labels"];
    for (key, value) in service["spec"]["selector"].as_mapping().unwrap() {
        assert_eq!(&labels[key.as_str().unwrap()], value, "selector {key:?}");
    }
    let service_port = &service["spec"]["ports"][0];
    assert_eq!(service_port["port"].as_u64(), Some(8080));
    assert!(service_port["targetPort"] == port_name || service_port["targetPort"] == 8080);
}

#[test]
fn the_cronjob_runs_one_job_once_per_firing_never_two_at_once() {
    let objects = k8s_objects();
    let cron = object(&objects, "CronJob", None);
    let spec = &cron["spec"];
    assert_eq!(spec["concurrencyPolicy"], "Forbid");
    let pod = &spec["jobTemplate"]["spec"]["template"]["spec"];
    let container = check_hardened_pod(pod, "CronJob");
    assert_eq!(pod["restartPolicy"], "Never");
    assert_eq!(container["args"][0], "run");
    let manifest = str_of(&container["args"][1], "the job's manifest");
    assert!(
        manifest.starts_with("/etc/warden/jobs/") && manifest.ends_with("/job.toml"),
        "{manifest}"
    );
    // The job the image carries: examples/<job>/job.toml.
    let job = Path::new(manifest).parent().unwrap().file_name().unwrap();
    let source = Path::new(warden_test_artifacts::ROOT)
        .join("examples")
        .join(job)
        .join("job.toml");
    let text = read(&source);
    Manifest::parse(&source, &text).unwrap_or_else(|e| panic!("{e}"));
    // Fired when the manifest says it would be.
    let written: toml::Table = toml::from_str(&text).unwrap();
    assert_eq!(
        spec["schedule"].as_str(),
        written["job"]["schedule"].as_str()
    );
    assert_eq!(
        spec["timeZone"].as_str(),
        written["job"]["timezone"].as_str()
    );
    check_config_map(&objects, pod, container);
}

/// `KEY=value` lines of a unit file (comments and sections dropped); a key
/// given twice keeps both values.
fn unit_directives(text: &str) -> HashMap<String, Vec<String>> {
    let mut directives: HashMap<String, Vec<String>> = HashMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with(['#', ';', '[']) {
            continue;
        }
        let (key, value) = line.split_once('=').expect("KEY=value");
        directives
            .entry(key.to_string())
            .or_default()
            .push(value.to_string());
    }
    directives
}

#[test]
fn the_systemd_unit_is_hardened_and_matches_its_config() {
    let text = read(&deploy_dir().join("warden.service"));
    let unit = unit_directives(&text);
    let one = |key: &str| -> &str {
        match unit.get(key).map(Vec::as_slice) {
            Some([value]) => value,
            other => panic!("{key}: {other:?}"),
        }
    };
    for (key, value) in [
        ("DynamicUser", "yes"),
        ("StateDirectory", "warden"),
        ("LoadCredential", "canvas-token:/etc/warden/canvas-token"),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("NoNewPrivileges", "yes"),
        ("CapabilityBoundingSet", ""),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("ExecReload", "/bin/kill -HUP $MAINPID"),
        ("KillSignal", "SIGTERM"),
        ("Restart", "on-failure"),
    ] {
        assert_eq!(one(key), value, "{key}");
    }
    assert_eq!(unit["SystemCallFilter"][0], "@system-service");
    // wasmtime maps compiled code executable.
    assert!(!unit.contains_key("MemoryDenyWriteExecute"));
    assert!(text.contains("#Environment=WARDEN_LOG_FORMAT=json"));

    let exec: Vec<&str> = one("ExecStart").split(' ').collect();
    assert_eq!(exec[1..3], ["serve", "--config"]);
    let config_path = Path::new(exec[3]);
    let config = Config::parse(config_path, &read(&deploy_dir().join("warden.toml")))
        .unwrap_or_else(|e| panic!("{e}"));
    let dashboard = config.dashboard.as_ref().expect("[dashboard] is on");
    assert!(dashboard.listen.ip().is_loopback());
    assert_eq!(
        config.canvas.token,
        TokenSource::Credential("canvas-token".into())
    );
    let state = config.state.as_deref().unwrap();
    assert_eq!(state, Path::new("/var/lib/warden/warden.db"));
    assert!(config
        .cache
        .as_deref()
        .unwrap()
        .starts_with("/var/lib/warden"));
    assert_eq!(config.jobs, ["/etc/warden/jobs/*/job.toml"]);
    let timeout: u64 = one("TimeoutStopSec").trim_end_matches('s').parse().unwrap();
    assert!(
        timeout > config.daemon.shutdown_grace.as_secs(),
        "{timeout}"
    );
    let dashboard = dashboard_table(&read(&deploy_dir().join("warden.toml"))).unwrap();
    assert_eq!(dashboard["listen"].as_str(), Some("127.0.0.1:8080"));
}

/// `systemd-analyze` here, or None (with a message saying the test is
/// skipped) on a machine without it.
fn systemd_analyze() -> Option<PathBuf> {
    let found = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/bin")])
        .map(|dir| dir.join("systemd-analyze"))
        .find(|p| p.is_file());
    if found.is_none() {
        eprintln!(
            "SKIPPED: systemd-analyze is not installed (apt-get install systemd); examples/deploy/warden.service is not verified"
        );
    }
    found
}

#[test]
fn systemd_analyze_verifies_the_unit_and_rates_it_ok() {
    let Some(analyze) = systemd_analyze() else {
        return;
    };
    // `verify` needs ExecStart's binary to exist: the built warden.
    let dir = TempDir::new("warden-deploy-unit");
    let text = read(&deploy_dir().join("warden.service"));
    assert!(text.contains("\nExecStart=/usr/local/bin/warden "));
    let unit = dir.join("warden.service");
    std::fs::write(
        &unit,
        text.replace(
            "\nExecStart=/usr/local/bin/warden ",
            &format!("\nExecStart={WARDEN} "),
        ),
    )
    .unwrap();
    let out = Command::new(&analyze)
        .arg("verify")
        .arg(&unit)
        .current_dir(&*dir)
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{said}");
    // Unknown keys and bad values are warnings with a zero exit.
    let about_unit: Vec<&str> = said
        .lines()
        .filter(|l| l.contains("warden.service"))
        .collect();
    assert!(about_unit.is_empty(), "{said}");

    // The exposure score the README quotes (lower is better; 10 is none).
    let out = Command::new(&analyze)
        .args(["security", "--offline=yes"])
        .arg(&unit)
        .current_dir(&*dir)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{report}");
    let score: f64 = report
        .lines()
        .find_map(|l| l.split_once("Overall exposure level for warden.service: "))
        .and_then(|(_, rest)| rest.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("{report}"));
    let readme = read(&Path::new(warden_test_artifacts::ROOT).join("README.md"));
    assert!(
        readme.contains(&format!("exposure level for warden.service: {score:.1}")),
        "the README quotes another score than {score:.1}"
    );
    assert!(score <= 1.5, "{report}");
}

#[test]
fn the_container_image_runs_serve_as_non_root_with_its_state_on_a_volume() {
    let text = read(&deploy_dir().join("Containerfile"));
    let instructions: Vec<(&str, &str)> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' ') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(' '))
        .collect();
    let all = |key: &str| -> Vec<&str> {
        instructions
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .collect()
    };
    let stages = all("FROM");
    assert_eq!(stages.len(), 2, "{stages:?}");
    assert!(stages[0].starts_with("docker.io/library/rust:1.95-bookworm AS build"));
    let last = |key: &str| *all(key).last().unwrap_or_else(|| panic!("no {key}"));
    let user = last("USER");
    let uid: u32 = user
        .split(':')
        .next()
        .unwrap()
        .parse()
        .expect("numeric USER");
    assert!(uid > 0);
    assert_eq!(last("EXPOSE"), "8080");
    assert_eq!(last("ENTRYPOINT"), r#"["warden"]"#);
    assert_eq!(
        last("CMD"),
        r#"["serve", "--config", "/etc/warden/warden.toml"]"#
    );
    assert_eq!(last("VOLUME"), r#"["/var/lib/warden"]"#);
    assert!(text.contains("rustup target add wasm32-wasip2"));
    assert!(text.contains("WARDEN_CONFIG=examples/deploy/container.toml"));

    let config = Config::parse(
        Path::new("/etc/warden/warden.toml"),
        &read(&deploy_dir().join("container.toml")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let dashboard = config.dashboard.as_ref().expect("[dashboard] is on");
    assert!(dashboard.admin_token_file.is_some());
    // Everything Warden writes is on the volume.
    for written in [
        config.state.as_deref().unwrap(),
        config.cache.as_deref().unwrap(),
    ] {
        assert!(
            written.starts_with("/var/lib/warden"),
            "{}",
            written.display()
        );
    }
    assert_eq!(
        config.canvas.token,
        TokenSource::File("/run/secrets/canvas-token".into())
    );
    let dashboard = dashboard_table(&read(&deploy_dir().join("container.toml"))).unwrap();
    assert_eq!(dashboard["listen"].as_str(), Some("0.0.0.0:8080"));
    assert!(dashboard["admin_token_file"].is_str());
}

#[test]
fn install_sh_lays_out_pinned_jobs_and_keeps_an_existing_config() {
    let dest = TempDir::new("warden-deploy-install");
    let components = Path::new(warden_test_artifacts::JOB_UNPUBLISHED_COURSES)
        .parent()
        .unwrap();
    let install = || {
        let out = Command::new("sh")
            .arg(deploy_dir().join("install.sh"))
            .env("DESTDIR", &*dest)
            .env("WARDEN_BIN", WARDEN)
            .env("WARDEN_COMPONENTS", components)
            .output()
            .unwrap();
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{said}");
        said
    };
    install();
    let bin = dest.join("usr/local/bin/warden");
    assert_eq!(std::fs::read(&bin).unwrap(), std::fs::read(WARDEN).unwrap());

    let config_path = dest.join("etc/warden/warden.toml");
    let config = Config::parse(Path::new("/etc/warden/warden.toml"), &read(&config_path))
        .unwrap_or_else(|e| panic!("{e}"));
    // Every example job, where the config's glob finds it, pinned to the
    // component installed beside the others.
    let examples: Vec<String> =
        std::fs::read_dir(Path::new(warden_test_artifacts::ROOT).join("examples"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.join("job.toml").is_file())
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
    assert!(examples.len() >= 2, "{examples:?}");
    for job in &examples {
        let installed = Path::new("/etc/warden/jobs").join(job).join("job.toml");
        assert!(glob::Pattern::new(&config.jobs[0])
            .unwrap()
            .matches_path(&installed));
        let text = read(&dest.join(installed.strip_prefix("/").unwrap()));
        let manifest = Manifest::parse(&installed, &text).unwrap_or_else(|e| panic!("{e}"));
        assert!(
            manifest.component.starts_with("/usr/local/lib/warden/"),
            "{}",
            manifest.component.display()
        );
        let component = dest.join(manifest.component.strip_prefix("/").unwrap());
        let bytes = std::fs::read(&component).unwrap();
        assert_eq!(
            manifest.sha256.as_deref(),
            Some(warden::cache::sha256_hex(&bytes).as_str()),
            "{job}"
        );
    }

    // A second install keeps the admin's config.
    std::fs::write(&config_path, "# edited\n").unwrap();
    let said = install();
    assert!(said.contains("kept "), "{said}");
    assert_eq!(read(&config_path), "# edited\n");
}

/// `warden run` with `token_credential`: the token comes from
/// `$CREDENTIALS_DIRECTORY/canvas-token`, as systemd's LoadCredential= puts
/// it there.
#[tokio::test]
async fn a_systemd_credential_is_the_token_warden_run_sends() {
    let canvas = standin().await;
    let dir = TempDir::new("warden-deploy-credential");
    let credentials = dir.join("credentials");
    std::fs::create_dir_all(&credentials).unwrap();
    std::fs::write(credentials.join("canvas-token"), format!("{TOKEN}\n")).unwrap();
    let config = dir.join("warden.toml");
    std::fs::write(
        &config,
        format!(
            "[canvas]\nbase_url = {:?}\ntoken_credential = \"canvas-token\"\n",
            canvas.base_url()
        ),
    )
    .unwrap();
    let job = dir.join("job.toml");
    std::fs::write(
        &job,
        format!(
            "version = 1\n[job]\nname = \"credential-job\"\ncomponent = {:?}\n[canvas]\nscopes = [\"url:GET|/api/v1/courses/:id\"]\n[env]\nECHO_PATH = \"/api/v1/courses/1\"\n",
            warden_test_artifacts::SNOOP
        ),
    )
    .unwrap();
    let warden = |credentials: Option<&Path>| {
        let mut cmd = tokio::process::Command::new(WARDEN);
        cmd.arg("run")
            .arg(&job)
            .arg("--config")
            .arg(&config)
            .env("XDG_CACHE_HOME", cache_home())
            .env_remove("WARDEN_LOG")
            .env_remove("CREDENTIALS_DIRECTORY");
        if let Some(dir) = credentials {
            cmd.env("CREDENTIALS_DIRECTORY", dir);
        }
        cmd.output()
    };

    let out = warden(Some(&credentials)).await.unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{stderr}");
    // The stand-in answers 200 only with the right bearer token.
    assert!(stdout.contains("echo status 200"), "{stdout}");
    let requests = canvas.requests();
    assert_eq!(requests.len(), 1);
    let authorization = requests[0]
        .headers
        .iter()
        .find(|(name, _)| name == "authorization")
        .map(|(_, value)| value.as_str());
    assert_eq!(authorization, Some(format!("Bearer {TOKEN}").as_str()));
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));

    // Outside a unit: the error says what is missing, nothing is sent.
    canvas.clear_requests();
    let out = warden(None).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("token credential canvas-token: $CREDENTIALS_DIRECTORY is not set (is the unit's LoadCredential= set?)"),
        "{stderr}"
    );
    // A credential folder without this credential.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = warden(Some(&empty)).await.unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let expected = format!(
        "cannot read token credential canvas-token from {}",
        empty.join("canvas-token").display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(canvas.requests().is_empty());
}

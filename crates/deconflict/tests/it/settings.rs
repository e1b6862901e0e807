//! Settings as an operator meets them: a config file under flags and the
//! environment, the data directory, and the errors a user reads.

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{BIN, free_port, spawn_listening};

/// Starts `serve` with `args` and `env`, and returns which of `ports` it
/// listens on (the first to accept), killing it afterwards.
fn listening_port(args: &[&str], env: &[(&str, String)], ports: &[u16]) -> u16 {
    let mut cmd = Command::new(BIN);
    cmd.arg("serve").args(args).env("DECONF_LOG", "warn").stdout(Stdio::null()).stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child: Child = cmd.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let found = loop {
        if let Some(p) = ports.iter().find(|p| TcpStream::connect(("127.0.0.1", **p)).is_ok()) {
            break *p;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("serve {args:?} exited with {status} before listening");
        }
        assert!(Instant::now() < deadline, "serve {args:?} listened on none of {ports:?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    found
}

#[test]
fn a_config_file_yields_to_the_environment_and_the_environment_to_flags() {
    let dir = tempfile::tempdir().unwrap();
    let (file_port, env_port, flag_port) = (free_port(), free_port(), free_port());
    let data = dir.path().join("state");
    let config = dir.path().join("deconflict.toml");
    std::fs::write(
        &config,
        format!("listen = \"127.0.0.1:{file_port}\"\ndata_dir = \"{}\"\ndev = true\n", data.display()),
    )
    .unwrap();
    let cfg = config.to_str().unwrap();
    let ports = [file_port, env_port, flag_port];
    assert_eq!(listening_port(&["--config", cfg], &[], &ports), file_port, "file over default");
    assert!(
        data.join("dev-key.pem").is_file() && data.join("deconflict.sqlite").is_file(),
        "the file's data-dir and dev"
    );
    let env = [("DECONF_LISTEN", format!("127.0.0.1:{env_port}"))];
    assert_eq!(listening_port(&["--config", cfg], &env, &ports), env_port, "environment over file");
    let flag = format!("127.0.0.1:{flag_port}");
    assert_eq!(
        listening_port(&["--config", cfg, "--listen", &flag], &env, &ports),
        flag_port,
        "flag over environment"
    );
}

#[test]
fn a_bad_config_file_names_the_file_and_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    for (text, expected) in [
        ("lisen = \"127.0.0.1:1\"\n", "no setting `lisen`"),
        ("request-timeout-s = -5\n", "is negative"),
        ("dev = \"yes please\"\n", "`dev` is a switch"),
        ("listen = [\"a\", \"b\"]\n", "takes one value"),
        ("listen = \n", "not valid TOML"),
    ] {
        let config = dir.path().join("bad.toml");
        std::fs::write(&config, text).unwrap();
        let out = Command::new(BIN).args(["serve", "--config"]).arg(&config).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{text:?} was accepted");
        assert!(err.contains(expected) && err.contains("bad.toml"), "{text:?}: {err}");
    }
}

fn token_cmd(data: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args(["token", "--sub", "alpha", "--aud", "127.0.0.1", "--data-dir"]).arg(data);
    cmd
}

#[test]
fn token_finds_the_servers_key_in_the_data_directory_and_never_makes_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("state");
    // No server has run: a clear one-line error naming where it looked,
    // without a backtrace even when the user asked for them, and no key made.
    let out = token_cmd(&data).env("RUST_BACKTRACE", "1").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&data.join("dev-key.pem").display().to_string()) && err.contains("serve --dev"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "one line, no backtrace: {err}");
    assert!(!data.join("dev-key.pem").exists());

    // A server started with DECONF_DEV=1 (as users write booleans) creates
    // it; a token made from another working directory is accepted by it.
    let port = free_port();
    let mut server = spawn_listening(
        Command::new(BIN)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
            .arg(&data)
            .env("DECONF_DEV", "1"),
        port,
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let out = token_cmd(&data).current_dir(elsewhere.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let listed = Command::new(BIN)
        .args([
            "intent",
            "list",
            "--lat",
            "46.9",
            "--lng",
            "7.4",
            "--server",
            &format!("http://127.0.0.1:{port}"),
        ])
        .args(["--token", &token])
        .output()
        .unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        listed.status.success(),
        "the server refused the token: {}",
        String::from_utf8_lossy(&listed.stderr)
    );
}

#[test]
fn user_errors_say_what_to_write_instead() {
    for (args, expected) in [
        (&["token", "--sub", "a", "--ttl-s", "7200"][..], "1 to 3600 seconds"),
        (&["token", "--sub", "a", "--ttl-s", "-1"][..], "is negative"),
        (
            &["intent", "delete", "--id", "id", "--token", "t", "--server", "127.0.0.1:8080"][..],
            "write http://127.0.0.1:8080",
        ),
        (&["serve", "--listen", "localhost"][..], "has no port"),
        (
            &["tactical", "replay", "--input", "x.csv", "--server", "localhost:8080"][..],
            "write http://localhost:8080",
        ),
        (
            &["party", "list", "--server", "http://127.0.0.1:1"][..],
            "no token: give --token or set DECONF_TOKEN",
        ),
    ] {
        let out = Command::new(BIN)
            .args(args)
            .env("RUST_BACKTRACE", "1")
            .env_remove("DECONF_TOKEN")
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success() && err.contains(expected), "{args:?}: {err}");
        assert!(!err.contains("stack backtrace"), "{args:?}: {err}");
    }
}

#[test]
fn demo_keeps_serving_and_prints_tokens_its_server_accepts() {
    use std::io::BufRead as _;
    let mut child = Command::new(BIN).args(["demo"]).stdout(Stdio::piped()).spawn().unwrap();
    // The reader stays open until the demo is killed, so it never writes to a closed pipe.
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut base, mut token) = (None, None);
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(rest) = line.strip_prefix("deconflict demo: server on ") {
            base = rest.split(',').next().map(str::to_owned);
        }
        if let Some(t) = line.trim_start().strip_prefix("bravo: ") {
            token = Some(t.to_owned());
            break;
        }
    }
    let (base, token) =
        (base.expect("the demo names its server"), token.expect("the demo prints bravo's token"));
    let listed = Command::new(BIN)
        .args(["intent", "list", "--lat", "46.95", "--lng", "7.45", "--server", &base, "--token", &token])
        .output()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    drop(lines);
    let out = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    assert!(out.contains("bravo"), "bravo sees its own operation from the scenario: {out}");
}

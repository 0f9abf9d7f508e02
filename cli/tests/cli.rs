//! The `genesys-notify` binary, run as a person or a script would: help texts, exit codes, and
//! the JSON lines of `demo`, `watch`, `doctor` and `topics`, against `genesys-sim` on loopback.

use std::process::Output;

use genesys_sim::Sim;
use genesys_sim::org::{DEMO_AGENT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET};
use serde_json::Value;
use support::quick_sim;

mod support;

fn genesys_notify(args: &[&str], env: &[(&str, &str)]) -> Output {
    support::genesys_notify(args, env)
        .output()
        .expect("the binary runs")
}

/// Runs the binary on a blocking thread, so the simulator keeps serving meanwhile.
async fn genesys_notify_async(args: &[&str], env: &[(&str, &str)]) -> Output {
    let args: Vec<String> = args.iter().map(|s| (*s).to_owned()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        genesys_notify(&args, &env)
    })
    .await
    .expect("the blocking task finishes")
}

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).expect("every stdout line is JSON"))
        .collect()
}

/// `doctor --json` for the demo agent against `sim`, with `env`: how it exited, and its lines.
async fn doctor_demo_agent(sim: &Sim, env: &[(&str, &str)]) -> (Output, Vec<Value>) {
    let base = sim.base_url();
    let args = [
        "doctor",
        "--environment",
        &base,
        "--user",
        DEMO_AGENT_ID,
        "--json",
    ];
    let output = genesys_notify_async(&args, env).await;
    let lines = json_lines(&output);
    (output, lines)
}

const CLIENT: [(&str, &str); 2] = [
    ("GENESYS_CLIENT_ID", DEMO_CLIENT_ID),
    ("GENESYS_CLIENT_SECRET", DEMO_CLIENT_SECRET),
];

#[test]
fn every_command_has_help_with_the_exit_codes() {
    for command in [
        &["--help"][..],
        &["demo", "--help"],
        &["watch", "--help"],
        &["doctor", "--help"],
        &["topics", "--help"],
        &["replay", "--help"],
    ] {
        let output = genesys_notify(command, &[]);
        assert!(output.status.success(), "{command:?}");
        let help = String::from_utf8_lossy(&output.stdout);
        assert!(help.contains("Exit status"), "{command:?}: {help}");
    }
    let watch = genesys_notify(&["watch", "--help"], &[]);
    let help = String::from_utf8_lossy(&watch.stdout);
    for flag in [
        "--environment",
        "--user",
        "--topic",
        "--json",
        "--duration",
        "--heartbeat-timeout",
        "GENESYS_CLIENT_ID",
        "GENESYS_CLIENT_SECRET",
        "GENESYS_TOKEN",
    ] {
        assert!(help.contains(flag), "watch --help lacks {flag}");
    }
}

#[test]
fn demo_once_prints_the_shift_as_json_lines_and_exits_zero() {
    let output = genesys_notify(&["demo", "--once"], &[]);
    assert!(output.status.success(), "{output:?}");
    let lines = json_lines(&output);
    let activities: Vec<&str> = lines
        .iter()
        .filter(|l| l["kind"] == "agent" && l["stale"] == false)
        .filter_map(|l| l["activity"].as_str())
        .collect();
    let expected = [
        "on_queue",
        "alerting",
        "on_call",
        "held",
        "on_call",
        "wrap_up",
        "on_queue",
        "alerting",
        "interacting",
        "wrap_up",
        "on_queue",
        "break",
        "available",
        "offline",
    ];
    let mut rest = activities.iter();
    for step in expected {
        assert!(
            rest.any(|a| *a == step),
            "{step} missing or out of order in {activities:?}"
        );
    }
    let channels: std::collections::HashSet<&str> = lines
        .iter()
        .filter(|l| l["kind"] == "connection")
        .filter_map(|l| l["channel"].as_str())
        .collect();
    assert!(channels.len() >= 2, "the rollover moved to a new channel");
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "connection" && l["reconnects"].as_u64() >= Some(1)),
        "the dropped socket was reconnected"
    );
}

#[test]
fn watch_without_credentials_is_a_usage_error_naming_the_variables() {
    let output = genesys_notify(
        &["watch", "--environment", "eu-west-1", "--user", "u-1"],
        &[],
    );
    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("GENESYS_CLIENT_ID"), "{error}");
}

#[test]
fn an_unknown_environment_is_a_usage_error() {
    let output = genesys_notify(
        &["watch", "--environment", "moon-1", "--user", "u-1"],
        &CLIENT,
    );
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn region_names_as_the_gc_cli_writes_them_are_accepted() {
    for region in [
        "eu_central_2",
        "me_central_1",
        "ap_northeast_3",
        "EU_WEST_1",
    ] {
        let output = genesys_notify(&["watch", "--environment", region, "--user", "u-1"], &[]);
        let error = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{region}: {error}");
        assert!(
            error.contains("GENESYS_CLIENT_ID"),
            "{region} was read as a region, so only the credentials are missing: {error}"
        );
    }
}

#[test]
fn a_heartbeat_timeout_of_zero_is_a_usage_error() {
    let output = genesys_notify(
        &[
            "watch",
            "--environment",
            "eu-west-1",
            "--user",
            "u-1",
            "--heartbeat-timeout",
            "0",
        ],
        &CLIENT,
    );
    assert_eq!(output.status.code(), Some(2));
    let error = String::from_utf8_lossy(&output.stderr);
    assert!(error.contains("--heartbeat-timeout"), "{error}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_takes_a_heartbeat_timeout_shorter_than_the_default_and_stays_live() {
    // As a new user would try it: a server heartbeating every second, a 3 s tolerance.
    let sim = Sim::builder()
        .heartbeat_interval(std::time::Duration::from_secs(1))
        .start()
        .await
        .expect("the simulator starts");
    let base = sim.base_url();
    let output = genesys_notify_async(
        &[
            "watch",
            "--environment",
            &base,
            "--user",
            DEMO_AGENT_ID,
            "--heartbeat-timeout",
            "3",
            "--json",
            "--duration",
            "5",
        ],
        &CLIENT,
    )
    .await;
    assert!(output.status.success(), "{output:?}");
    let lines = json_lines(&output);
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "connection" && l["health"] == "live"),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l["kind"] == "diagnosis"),
        "heartbeats every second never trip a 3 s tolerance: {lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_json_follows_the_agent_and_exits_zero_after_the_duration() {
    let sim = quick_sim().await;
    let base = sim.base_url();
    let output = genesys_notify_async(
        &[
            "watch",
            "--environment",
            &base,
            "--user",
            DEMO_AGENT_ID,
            "--json",
            "--duration",
            "2",
        ],
        &CLIENT,
    )
    .await;
    assert!(output.status.success(), "{output:?}");
    let lines = json_lines(&output);
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "agent" && l["activity"] == "available" && l["stale"] == false)
    );
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "connection" && l["health"] == "live")
    );
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "event" && l["topic"] == "channel.metadata")
    );
    assert!(sim.log().token_leaks().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_json_follows_a_topic_alone_without_an_agent() {
    let sim = quick_sim().await;
    let base = sim.base_url();
    let topic = format!("v2.users.{DEMO_AGENT_ID}.presence");
    let agent = sim.agent(DEMO_AGENT_ID);
    let changes = async {
        tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
        agent.set_presence(genesys_sim::Presence::Busy);
    };
    let args = [
        "watch",
        "--environment",
        &base,
        "--topic",
        &topic,
        "--json",
        "--duration",
        "3",
    ];
    let (output, ()) = tokio::join!(genesys_notify_async(&args, &CLIENT), changes);
    assert!(output.status.success(), "{output:?}");
    let lines = json_lines(&output);
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "connection" && l["health"] == "live")
    );
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "event" && l["topic"] == topic.as_str()),
        "{lines:?}"
    );
    assert!(!lines.iter().any(|l| l["kind"] == "agent"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_with_a_refused_token_stops_with_a_diagnosis_and_exit_one() {
    let sim = Sim::builder().start().await.expect("the simulator starts");
    let base = sim.base_url();
    let output = genesys_notify_async(
        &[
            "watch",
            "--environment",
            &base,
            "--user",
            DEMO_AGENT_ID,
            "--json",
            "--duration",
            "20",
        ],
        &[("GENESYS_TOKEN", "not-a-token-the-simulator-issued")],
    )
    .await;
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let lines = json_lines(&output);
    let last = lines.last().expect("at least the stop");
    assert_eq!(last["kind"], "diagnosis");
    assert_eq!(last["action"], "stop");
    assert!(last["message"].as_str().is_some_and(|m| !m.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_passes_a_working_setup() {
    let sim = Sim::builder().start().await.expect("the simulator starts");
    let (output, lines) = doctor_demo_agent(&sim, &CLIENT).await;
    assert!(output.status.success(), "{lines:#?}");
    assert!(lines.iter().all(|l| l["status"] != "fail"), "{lines:#?}");
    for check in ["token", "scopes", "channel", "subscription", "socket"] {
        assert!(
            lines
                .iter()
                .any(|l| l["check"] == check && l["status"] == "ok"),
            "no passing {check} check in {lines:#?}"
        );
    }
}

/// A simulator whose one user client grants only the `notifications` scope, in an org that
/// does or does not enforce scopes; the environment that logs in with it.
async fn narrow_scopes(enforced: bool) -> (Sim, [(&'static str, &'static str); 3]) {
    let org = genesys_sim::org::Org::demo()
        .enforce_scopes(enforced)
        .client(
            genesys_sim::OAuthClient::authorization_code("narrow", "narrow-secret", DEMO_AGENT_ID)
                .scopes(["notifications"])
                .refresh_token("rt-narrow"),
        );
    let sim = Sim::builder()
        .org(org)
        .start()
        .await
        .expect("the simulator starts");
    let env = [
        ("GENESYS_CLIENT_ID", "narrow"),
        ("GENESYS_CLIENT_SECRET", "narrow-secret"),
        ("GENESYS_REFRESH_TOKEN", "rt-narrow"),
    ];
    (sim, env)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_warns_of_a_missing_scope_naming_the_enforce_scopes_setting() {
    let (sim, env) = narrow_scopes(false).await;
    let (output, lines) = doctor_demo_agent(&sim, &env).await;
    assert!(output.status.success(), "{lines:#?}");
    let scopes = lines
        .iter()
        .find(|l| l["check"] == "scopes")
        .expect("a scopes finding");
    assert_eq!(scopes["status"], "warning", "{scopes}");
    assert!(
        scopes["message"]
            .as_str()
            .is_some_and(|m| m.contains("Enforce Scopes") && m.contains("users:readonly")),
        "{scopes}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l["check"] == "agent read" && l["status"] == "ok"),
        "{lines:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_blocks_on_a_missing_scope_only_when_a_call_fails_for_it() {
    let (sim, env) = narrow_scopes(true).await;
    let (output, lines) = doctor_demo_agent(&sim, &env).await;
    assert_eq!(output.status.code(), Some(1), "{lines:#?}");
    let read = lines
        .iter()
        .find(|l| l["check"] == "agent read")
        .expect("an agent read finding");
    assert_eq!(read["status"], "fail", "{read}");
    assert!(
        read["message"]
            .as_str()
            .is_some_and(|m| m.contains("enforces scopes")),
        "{read}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_names_a_topic_genesys_does_not_have_and_exits_one() {
    let sim = Sim::builder().start().await.expect("the simulator starts");
    let base = sim.base_url();
    let topic = format!("v2.users.{DEMO_AGENT_ID}.telepathy");
    let output = genesys_notify_async(
        &[
            "doctor",
            "--environment",
            &base,
            "--topic",
            &topic,
            "--json",
        ],
        &CLIENT,
    )
    .await;
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    assert!(
        lines.iter().any(|l| l["status"] == "fail"
            && l["message"]
                .as_str()
                .is_some_and(|m| m.contains("telepathy"))),
        "{lines:#?}"
    );
}

#[test]
fn doctor_corrects_the_wrong_advice_it_is_given() {
    let output = genesys_notify(
        &[
            "doctor",
            "--environment",
            "http://127.0.0.1:9",
            "--topic",
            "notifications:subscribe",
            "--json",
        ],
        &[("GENESYS_TOKEN", "t")],
    );
    assert_eq!(output.status.code(), Some(1));
    let lines = json_lines(&output);
    assert!(lines.iter().any(|l| {
        l["check"] == "advice"
            && l["message"]
                .as_str()
                .is_some_and(|m| m.contains("`notifications`"))
    }));
}

#[test]
fn topics_packs_an_agents_topics_into_one_combined_topic() {
    let output = genesys_notify(&["topics", "--user", "u-1", "--json"], &[]);
    assert!(output.status.success());
    let report = &json_lines(&output)[0];
    assert_eq!(
        report["packed"][0],
        "v2.users.u-1?conversations&presence&routingStatus"
    );
    assert_eq!(report["subscriptions"], 3);
    assert_eq!(
        report["entries"], 1,
        "one combined topic is one subscription entry"
    );
    assert_eq!(report["within_budget"], true);
}

#[test]
fn topics_refuses_wildcards_and_system_topics_with_exit_one() {
    let output = genesys_notify(
        &["topics", "v2.users.*.presence", "v2.system.socket_closing"],
        &[],
    );
    assert_eq!(output.status.code(), Some(1));
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(report.contains("wildcard"), "{report}");
    assert!(report.contains("arrive unasked"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_bisects_a_refused_batch_to_the_topic_at_fault() {
    let sim = Sim::builder().start().await.expect("the simulator starts");
    // The whole batch is refused, then the first half (the agent's conversations topic) alone.
    sim.faults().fail_next(
        genesys_sim::Operation::ReplaceSubscriptions,
        2,
        genesys_sim::Failure::Forbidden,
    );
    let (output, lines) = doctor_demo_agent(&sim, &CLIENT).await;
    assert_eq!(output.status.code(), Some(1));
    let culprit = format!("topic v2.users.{DEMO_AGENT_ID}.conversations");
    assert!(
        lines.iter().any(|l| l["check"] == culprit.as_str()
            && l["status"] == "fail"
            && l["status"] != "ok"),
        "{lines:#?}"
    );
    let named: Vec<&Value> = lines
        .iter()
        .filter(|l| {
            l["check"]
                .as_str()
                .is_some_and(|c| c.starts_with("topic v2."))
        })
        .collect();
    assert_eq!(
        named.len(),
        1,
        "only the topic at fault is named: {named:#?}"
    );
}

/// A simulator serving HTTPS and WSS with a certificate from its own test CA, and that CA
/// written to a PEM file for `--ca-file`.
async fn tls_sim() -> (Sim, std::path::PathBuf) {
    let sim = Sim::builder()
        .tls(true)
        .heartbeat_interval(std::time::Duration::from_millis(300))
        .start()
        .await
        .expect("the simulator starts");
    let path = std::env::temp_dir().join(format!(
        "genesys-notify-cli-ca-{}-{}.pem",
        std::process::id(),
        sim.addr().port()
    ));
    std::fs::write(&path, sim.ca_pem().expect("TLS is on")).expect("the CA file");
    (sim, path)
}

fn follows_the_agent_live(lines: &[Value]) -> bool {
    lines
        .iter()
        .any(|l| l["kind"] == "agent" && l["activity"] == "available" && l["stale"] == false)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_trusts_a_private_ca_from_ca_file_for_rest_and_the_socket() {
    let (sim, ca) = tls_sim().await;
    let base = sim.base_url();
    let ca_arg = ca.to_string_lossy().into_owned();
    let watch = |extra: Vec<String>| {
        let mut args: Vec<String> = [
            "watch",
            "--environment",
            &base,
            "--user",
            DEMO_AGENT_ID,
            "--json",
            "--duration",
            "2",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        args.extend(extra);
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            genesys_notify_async(&args, &CLIENT).await
        }
    };
    // Without the CA, the Mozilla roots do not know the server: nothing goes live.
    let refused = watch(Vec::new()).await;
    let lines = json_lines(&refused);
    assert!(!follows_the_agent_live(&lines), "{lines:#?}");
    assert!(
        lines.iter().any(|l| l["kind"] == "diagnosis"
            && l["message"]
                .as_str()
                .is_some_and(|m| m.contains("TLS") || m.contains("certificate"))),
        "the refusal is diagnosed as TLS: {lines:#?}"
    );
    // With it, REST and the socket both trust the server.
    let trusted = watch(vec!["--ca-file".to_owned(), ca_arg]).await;
    assert!(trusted.status.success(), "{trusted:?}");
    let lines = json_lines(&trusted);
    assert!(follows_the_agent_live(&lines), "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l["kind"] == "connection" && l["health"] == "live"),
        "{lines:#?}"
    );
    std::fs::remove_file(ca).ok();
}

#[test]
fn an_unreadable_ca_file_is_a_usage_error_naming_it() {
    for command in ["watch", "doctor"] {
        let output = genesys_notify(
            &[
                command,
                "--environment",
                "eu-west-1",
                "--user",
                DEMO_AGENT_ID,
                "--ca-file",
                "/nonexistent/proxy-ca.pem",
            ],
            &CLIENT,
        );
        assert_eq!(output.status.code(), Some(2), "{command}: {output:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("/nonexistent/proxy-ca.pem"),
            "{command}: {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_goes_through_https_proxy_for_rest_and_the_socket() {
    let (sim, ca) = tls_sim().await;
    let proxy = genesys_sim::proxy::ConnectProxy::start()
        .await
        .expect("the proxy starts");
    let base = sim.base_url();
    let ca_arg = ca.to_string_lossy().into_owned();
    let proxy_url = proxy.url();
    let mut env = CLIENT.to_vec();
    env.push(("HTTPS_PROXY", &proxy_url));
    let output = genesys_notify_async(
        &[
            "watch",
            "--environment",
            &base,
            "--user",
            DEMO_AGENT_ID,
            "--json",
            "--duration",
            "2",
            "--ca-file",
            &ca_arg,
        ],
        &env,
    )
    .await;
    assert!(output.status.success(), "{output:?}");
    let lines = json_lines(&output);
    assert!(follows_the_agent_live(&lines), "{lines:#?}");
    let tunnels = proxy.tunnels();
    let expected = format!("localhost:{}", sim.addr().port());
    // REST (reqwest) and the socket (our CONNECT) both went through the proxy: more tunnels
    // than REST alone would open, since a socket cannot share reqwest's pooled connection.
    assert!(
        tunnels.iter().all(|t| *t == expected) && tunnels.len() >= 2,
        "tunnels: {tunnels:?}"
    );
    std::fs::remove_file(ca).ok();
}

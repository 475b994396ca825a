//! `warden auth login|status|logout`: the one interactive step of a scoped
//! developer key's credential (`[canvas.oauth]`), and what it left behind.
//! No secret is ever printed.

use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use warden::config::Config;
use warden::manifest::Manifest;
use warden::oauth::{login, store, OAuthSettings, RedirectUri, Session};

/// How long `login` waits for the redirect.
const WAIT: Duration = Duration::from_secs(600);

fn session(config: &Config) -> Result<&Session> {
    match config.canvas.token.oauth() {
        Some(session) => Ok(session),
        None => bail!(
            "{} has no [canvas.oauth] table: its credential is the {}, which needs no login (see the README section \"A scoped developer key\")",
            config.path.display(),
            config.canvas.token
        ),
    }
}

/// Every job manifest of the config, loaded (an error names the file).
fn jobs(config: &Config) -> Result<Vec<Manifest>> {
    let mut jobs = Vec::new();
    for path in config.manifest_paths()? {
        jobs.push(Manifest::load(&path)?);
    }
    Ok(jobs)
}

pub async fn login(config: Option<&Path>) -> Result<ExitCode> {
    let config = super::load_config(config)?;
    let session = session(&config)?;
    let settings: &OAuthSettings = session.settings();
    let origin = session.origin();
    let scopes = login::requested_scopes(settings, &jobs(&config)?);
    let attempt = login::attempt(settings, origin, scopes)?;
    println!(
        "Warden asks Canvas at {} for a token of developer key {} with {} scopes:",
        origin,
        settings.client_id,
        attempt.scopes.len()
    );
    for scope in &attempt.scopes {
        println!("  {scope}");
    }
    let code = match &settings.redirect_uri {
        RedirectUri::Loopback(redirect) => {
            let listener = login::listen(redirect).await?;
            println!("\nOpen this address in a browser, log in as the worker user and authorize:\n\n  {}\n", attempt.url);
            println!("Waiting for Canvas to redirect to {redirect} …");
            login::receive(listener, redirect, &attempt.state, WAIT).await?
        }
        RedirectUri::Oob => {
            println!("\nOpen this address in a browser, log in as the worker user and authorize:\n\n  {}\n", attempt.url);
            println!("Then paste the code Canvas shows here and press Enter:");
            login::code_from_pasted(&read_line()?, None)?
        }
        RedirectUri::Remote(redirect) => {
            println!("\nOpen this address in a browser, log in as the worker user and authorize:\n\n  {}\n", attempt.url);
            println!("Canvas sends the browser to {redirect}; paste the whole address the browser ends on here and press Enter:");
            login::code_from_pasted(&read_line()?, Some(&attempt.state))?
        }
    };
    let status = login::complete(settings, origin, &code, attempt.scopes).await?;
    let who = status
        .user
        .as_ref()
        .map_or("an unnamed user".to_string(), |u| {
            format!("{} (user {})", u.name, u.id)
        });
    println!("\nAuthorized by {who} for {} scopes:", status.scopes.len());
    for scope in &status.scopes {
        println!("  {scope}");
    }
    println!(
        "The refresh token is in {} (mode 0600); a running warden serve uses it at its next renewal, without a restart.",
        settings.refresh_token_file.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn read_line() -> Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the code from stdin")?;
    Ok(line)
}

pub fn status(config: Option<&Path>) -> Result<ExitCode> {
    let config = super::load_config(config)?;
    let Some(session) = config.canvas.token.oauth() else {
        let readable = match config.canvas.token.read() {
            Ok(_) => "readable".to_string(),
            Err(e) => format!("NOT readable: {e}"),
        };
        println!(
            "credential: a manual access token, from the {} ({readable})",
            config.canvas.token
        );
        return Ok(ExitCode::SUCCESS);
    };
    let settings = session.settings();
    println!(
        "credential: OAuth2, developer key {} at {}",
        settings.client_id,
        session.origin()
    );
    println!("redirect URI: {}", settings.redirect_uri);
    let has_token = store::read_refresh_token(&settings.refresh_token_file).is_ok();
    println!(
        "refresh token: {} {}",
        settings.refresh_token_file.display(),
        if has_token {
            "(present)"
        } else {
            "(none: run warden auth login)"
        }
    );
    let status_file = settings.status_file();
    match store::read_status(&status_file)? {
        None => println!("authorized: never (no {})", status_file.display()),
        Some(status) => {
            let who = status
                .user
                .as_ref()
                .map_or("an unnamed user".to_string(), |u| {
                    format!("{} (user {})", u.name, u.id)
                });
            println!(
                "authorized by: {who} at {}",
                status.authorized_at.format("%Y-%m-%d %H:%M:%S UTC")
            );
            match status.access_expires_at {
                Some(at) => println!(
                    "current access token expires: {} (Warden renews it before then)",
                    at.format("%Y-%m-%d %H:%M:%S UTC")
                ),
                None => println!("current access token expires: never"),
            }
            if let Some(at) = status.renewed_at {
                println!("last renewed: {}", at.format("%Y-%m-%d %H:%M:%S UTC"));
            }
            if let Some(error) = &status.last_error {
                println!("last renewal FAILED: {error}");
            }
            println!("scopes ({}):", status.scopes.len());
            for scope in &status.scopes {
                println!("  {scope}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn logout(config: Option<&Path>) -> Result<ExitCode> {
    let config = super::load_config(config)?;
    let session = session(&config)?;
    let done = login::logout(session.settings(), session.origin()).await?;
    match &done.revoked {
        Ok(()) => println!("Canvas revoked Warden's authorization."),
        Err(e) => println!("Canvas did not revoke the authorization ({e}); delete the token in Canvas (the worker user's Approved Integrations) if it still exists."),
    }
    if done.removed {
        println!(
            "Removed {}.",
            session.settings().refresh_token_file.display()
        );
    } else {
        println!(
            "There was no refresh token in {}.",
            session.settings().refresh_token_file.display()
        );
    }
    Ok(if done.revoked.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

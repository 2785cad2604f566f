//! Where the CLI's client comes from: the environment, a prompt, or (with
//! `--sandbox`) an embedded sandbox. Credentials are never an argument.

use std::io::IsTerminal;

use dotdigital_contacts::ContactsClient;

/// A client from `DOTDIGITAL_*` variables, prompting on a terminal for what is missing.
pub fn from_environment() -> Result<ContactsClient, String> {
    let user = std::env::var("DOTDIGITAL_API_USER")
        .ok()
        .filter(|v| !v.is_empty());
    let password = std::env::var("DOTDIGITAL_API_PASSWORD")
        .ok()
        .filter(|v| !v.is_empty());
    let interactive = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    let (user, password) = match (user, password) {
        (Some(user), Some(password)) => (Some(user), Some(password)),
        (user, None) if interactive => {
            let user = match user {
                Some(user) => user,
                None => prompt("API user (DOTDIGITAL_API_USER): ")?,
            };
            let password = rpassword::prompt_password(format!("Password for {user}: "))
                .map_err(|e| format!("cannot read the password: {e}"))?;
            (Some(user), Some(password))
        }
        other => other,
    };
    ContactsClient::from_env_with(|name| match name {
        "DOTDIGITAL_API_USER" => user.clone(),
        "DOTDIGITAL_API_PASSWORD" => password.clone(),
        other => std::env::var(other).ok(),
    })
    .map_err(|e| format!("{e} (set DOTDIGITAL_API_USER and DOTDIGITAL_API_PASSWORD, or run against a local sandbox with --sandbox)"))
}

fn prompt(question: &str) -> Result<String, String> {
    eprint!("{question}");
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the answer: {e}"))?;
    Ok(line.trim().to_owned())
}

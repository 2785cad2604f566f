//! HTTPS through the TLS provider the crate's features chose.

/// A reqwest client builder whose HTTPS uses the TLS provider chosen by this
/// crate's features; add timeouts and the like, build it, and pass it to
/// [`Client::new_with_client`](crate::Client::new_with_client).
///
/// | feature | provider |
/// |---|---|
/// | `rustls-ring` (default) | rustls with ring, certificates checked by the platform's verifier |
/// | `rustls-aws-lc` | rustls with aws-lc-rs (reqwest's own default) |
/// | `native-tls` | the platform's TLS (OpenSSL on Linux) |
///
/// When several are enabled, `native-tls` wins, then `rustls-aws-lc`. With
/// `rustls-ring` alone, reqwest has no process-wide crypto provider, so a
/// client built by `reqwest::Client::new()` or the generated `Client::new`
/// panics unless the application installed one
/// (`rustls::crypto::ring::default_provider().install_default()`); a builder
/// from here needs none. With no TLS feature, only `http://` URLs work.
///
/// ```
/// let http = dotdigital_contacts_api::http_client_builder()?
///     .connect_timeout(std::time::Duration::from_secs(10))
///     .build()?;
/// let credentials = dotdigital_contacts_api::Credentials::new("apiuser-1@apiconnector.com", "secret-1");
/// let client = dotdigital_contacts_api::Client::new_with_client("https://r1-api.dotdigital.com", http, credentials);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn http_client_builder() -> Result<reqwest::ClientBuilder, std::io::Error> {
    let builder = reqwest::Client::builder();
    #[cfg(feature = "native-tls")]
    return Ok(builder.tls_backend_native());
    #[cfg(all(feature = "rustls-aws-lc", not(feature = "native-tls")))]
    return Ok(builder.tls_backend_rustls());
    #[cfg(all(
        feature = "rustls-ring",
        not(any(feature = "native-tls", feature = "rustls-aws-lc"))
    ))]
    return ring_config().map(|config| builder.tls_backend_preconfigured(config));
    #[cfg(not(any(
        feature = "rustls-ring",
        feature = "native-tls",
        feature = "rustls-aws-lc"
    )))]
    Ok(builder)
}

/// What reqwest builds for its own rustls, with ring as the provider: the
/// platform's verifier, TLS 1.2 and 1.3, HTTP/1.1 over ALPN.
#[cfg(all(
    feature = "rustls-ring",
    not(any(feature = "native-tls", feature = "rustls-aws-lc"))
))]
fn ring_config() -> Result<rustls::ClientConfig, std::io::Error> {
    use std::sync::Arc;
    let tls_error = |e: rustls::Error| std::io::Error::other(format!("TLS set-up: {e}"));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone()).map_err(tls_error)?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

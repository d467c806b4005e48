# gargle's side: a credential function that hands gargle a token from gauth,
# and use_gauth() that puts it first in gargle's registry.
#
# gargle's token_fetch() swallows every error and warning a credential
# function raises (they show only with gargle_verbosity = "debug"), so this
# one says what went wrong with message() and returns NULL: gargle then goes
# on to its own functions, and nothing is ever sent with an empty token.

credentials_gauth <- function(scopes = NULL, email = NULL, client = NULL,
                              app = NULL, ..., token = NULL, path = NULL) {
  # A token or a service-account file brought by the caller is gargle's
  # business (credentials_byo_oauth2, credentials_service_account).
  if (!is.null(token) || (!is.null(path) && !identical(path, ""))) {
    return(NULL)
  }
  dots <- list(...)
  # Any error, gauth's or not: gargle would swallow it unheard.
  tryCatch(
    gauth_for_gargle(scopes, email, client %||% app, dots),
    error = function(e) {
      message("gauth: ", conditionMessage(e))
      NULL
    }
  )
}

gauth_for_gargle <- function(scopes, email, client, dots) {
  cfg <- read_config()
  # gauth's own client (its config, or GAUTH_CLIENT_ID the user set) wins;
  # else the client the package hands in, which is a Google client (gargle
  # is Google's). gauth embeds none.
  own <- cfg$client || nzchar(Sys.getenv("GAUTH_CLIENT_ID"))
  parts <- if (!own) client_parts(client)
  issuer <- if (own) cfg$issuer %||% GOOGLE_ISSUER else GOOGLE_ISSUER
  package <- dots$package %||% "gargle"
  if (!own && is.null(parts)) {
    message(sprintf(
      "gauth: gauth has no OAuth client and %s handed none; name one in %s (credentials = \"/path/to/client.json\"), then run once, in a terminal: %s",
      package, cfg$path, login_command(login_scopes(scopes, cfg, own, issuer))
    ))
    return(NULL)
  }
  query <- list(scopes = scopes, email = account_arg(email), issuer = issuer,
                client_id = NULL)
  res <- gauth_exec(c("token", "--json", query_flags(query)), json = "plain")
  if (res$status == 2L && !is.null(parts)) {
    # Several cached logins fit: the one made with the package's client.
    query$client_id <- parts$id
    res <- gauth_exec(c("token", "--json", query_flags(query)), json = "plain")
  }
  if (res$status == 0L) {
    return(token_for(query, token_info(res)))
  }
  if (res$status != 4L) {
    stop_for_exit(res, "token")
  }
  # No cached login fits (none, revoked, expired without a refresh token).
  wanted <- login_scopes(scopes, cfg, own, issuer)
  if (!is_interactive()) {
    cmd <- login_command(wanted)
    message(if (own) {
      sprintf("gauth: no gauth login has the scopes %s asks for (%s); run once, in a terminal: %s",
              package, paste(scopes %||% "(the default ones)", collapse = " "), cmd)
    } else {
      sprintf("gauth: no gauth login has the scopes %s asks for (%s); log in once from an interactive R session (the same call runs the login), or name an OAuth client in %s (credentials = \"/path/to/client.json\") and run, in a terminal: %s",
              package, paste(scopes %||% "(the default ones)", collapse = " "), cfg$path, cmd)
    })
    return(NULL)
  }
  flow <- if (isTRUE(dots$use_oob)) "paste" else "auto"
  done <- login(scopes = wanted, flow = flow,
                issuer = if (!own) GOOGLE_ISSUER, client = parts)
  # Exactly the login just made.
  GauthToken$new(list(scopes = scopes, email = done$account,
                      issuer = done$issuer, client_id = done$client_id))
}

# What a login from R asks for: the package's scopes plus what gauth asks
# by default (its config's `scopes`, else openid and email, so the account is
# known, and offline_access off Google, so gauth can refresh), each once.
login_scopes <- function(scopes, cfg, own, issuer) {
  defaults <- if (own && !is.null(cfg$scopes)) {
    cfg$scopes
  } else {
    c("openid", "email", if (!is_google(issuer)) "offline_access")
  }
  unique(c(defaults, scopes))
}

login_command <- function(scopes) {
  quote <- function(x) ifelse(grepl("^[A-Za-z0-9_./:@=+-]+$", x), x, shQuote(x))
  paste(c("gauth login", if (length(scopes)) paste("--scope", quote(scopes))),
        collapse = " ")
}

use_gauth <- function() {
  if (!nzchar(system.file(package = "gargle"))) {
    message("gauth::use_gauth(): the gargle package is not installed, so there is nothing to register with; install it (install.packages(\"gargle\"), or r-cran-gargle on Debian)")
    return(invisible(FALSE))
  }
  if (utils::packageVersion("gargle") < "1.3.0") {
    message(sprintf(
      "gauth::use_gauth(): gargle %s is too old (gauth needs gargle 1.3.0 or newer, which has cred_funs_add())",
      utils::packageVersion("gargle")
    ))
    return(invisible(FALSE))
  }
  # gargle fills its registry with its defaults when it loads, so the
  # registration waits for that; .Rprofile does not load gargle (and its
  # dependencies) into every R session just for this.
  if (isNamespaceLoaded("gargle")) {
    register_with_gargle()
  } else {
    hook <- packageEvent("gargle", "onLoad")
    mine <- vapply(getHook(hook), function(f) isTRUE(attr(f, "gauth")), logical(1))
    if (!any(mine)) {
      f <- function(...) register_with_gargle()
      attr(f, "gauth") <- TRUE
      setHook(hook, f, "append")
    }
  }
  invisible(TRUE)
}

register_with_gargle <- function() {
  add <- getExportedValue("gargle", "cred_funs_add")
  # Removed first (a no-op when absent) so that a second call leaves one
  # entry, in front.
  add(gauth = NULL)
  add(gauth = credentials_gauth)
  invisible(TRUE)
}

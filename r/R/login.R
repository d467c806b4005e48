# gauth's login, doctor and free-port from R. A login started from R must
# work where R's console is not gauth's terminal (RStudio, Jupyter, Colab):
# there only R's own readline() reads what the user types, so the paste flow
# is split in two gauth calls (`login --no-wait`, then `login --finish -` with
# the pasted answer on stdin) with readline() in between.

login <- function(scopes = NULL, flow = c("auto", "loopback", "paste", "device"),
                  issuer = NULL, client = NULL, credentials = NULL, timeout = NULL) {
  flow <- match.arg(flow)
  parts <- client_parts(client)
  if (!is.null(client) && is.null(parts)) {
    stop(gauth_condition(
      "`client` must be a gargle client, an httr oauth_app, list(id =, secret =) or a client id",
      "gauth_usage"
    ))
  }
  env <- client_env(parts)
  if (!is.null(credentials) &&
      (!is.character(credentials) || length(credentials) != 1L || is.na(credentials) ||
       !file.exists(credentials))) {
    stop(gauth_condition(
      "`credentials` must be the path of an OAuth client JSON file (as downloaded from the provider)",
      "gauth_usage"
    ))
  }
  if (!is.null(credentials)) credentials <- normalizePath(credentials)
  common <- c(flag_values("--issuer", issuer), flag_values("--credentials", credentials),
              flag_values("--scope", scopes), flag_values("--timeout", timeout))
  if (flow == "auto" && is_interactive()) {
    flow <- recommend_flow(scopes)
    # doctor answers for gauth, which cannot read R's console; R can
    # (readline), so where gauth would fall back to the device flow R pastes,
    # unless the device flow was asked for (GAUTH_FLOW, the config file).
    if (flow == "device" && !device_asked_for()) flow <- "paste"
  }
  report <- switch(
    flow,
    paste = if (is_interactive()) {
      login_in_console(common, env)
    } else {
      gauth_call(c("login", "--json", "--flow", "paste", common), env = env,
                 live_stderr = TRUE)$json
    },
    auto = gauth_call(c("login", "--json", common), env = env,
                      live_stderr = TRUE)$json,
    gauth_call(c("login", "--json", "--flow", flow, common), env = env,
               live_stderr = TRUE)$json
  )
  if (is.list(report) && isFALSE(report$refresh_token)) {
    message("gauth: this login has no refresh token: gauth::token() works only until its access ",
            "token expires", if (!is_google(issuer %||% read_config()$issuer))
              " (ask for the offline_access scope too to get one)")
  }
  invisible(structure(report, class = "gauth_login"))
}

device_asked_for <- function() {
  # As gauth reads them (src/system/config.rs: parse_flow): any case, blanks
  # around.
  word <- function(x) if (is.null(x)) "" else tolower(trimws(x))
  env <- word(Sys.getenv("GAUTH_FLOW"))
  if (nzchar(env) && env != "auto") return(identical(env, "device"))
  identical(word(read_config()$flow), "device")
}

# The flow gauth recommends here, for these scopes (Google's device flow
# takes only a few). An interactive R can always read a paste, so anything
# unexpected means paste.
recommend_flow <- function(scopes = NULL, port = NULL) {
  args <- c("doctor", "--recommend", flag_values("--port", port), flag_values("--scope", scopes))
  res <- gauth_exec(args, json = FALSE)
  if (res$status != 0L) stop_for_exit(res, args)
  word <- trimws(res$stdout)
  if (word %in% c("loopback", "paste", "device")) word else "paste"
}

login_in_console <- function(common, env) {
  started <- gauth_call(c("login", "--no-wait", "--json", common), env = env)
  url <- started$json$url
  if (!is.character(url) || length(url) != 1L || !grepl("^https?://[^[:space:][:cntrl:]]+$", url)) {
    stop(gauth_condition("`gauth login --no-wait --json` printed no login URL",
                         "gauth_error", stderr = started$stderr))
  }
  message(
    "To log in, open this address in a browser (on any machine), sign in and agree:\n\n",
    "    ", url, "\n\n",
    "The browser then goes to an address that may not load (\"This site can't be reached\").\n",
    "Copy that whole address from the browser's address bar and paste it below."
  )
  # Where R runs in an IDE (RStudio, Positron), browseURL opens the page in
  # the user's own browser; elsewhere it could start a browser on a server
  # nobody sees, so it is left to options(gauth.browse = TRUE).
  if (isTRUE(getOption("gauth.browse", is.function(getOption("browser"))))) {
    try(utils::browseURL(url), silent = TRUE)
  }
  args <- c("login", "--finish", "-", "--json")
  tries <- 3L
  for (try in seq_len(tries)) {
    answer <- trimws(readline("Address (or code): "))
    last <- try == tries
    if (!nzchar(answer)) {
      if (!last) {
        message("gauth: nothing was pasted; paste the whole address the browser landed on")
        next
      }
      stop(gauth_condition(
        "nothing was pasted: the login was not completed (run the same gauth::login() again for a new address)",
        "gauth_error"
      ))
    }
    # On stdin, not in argv: other users can read a command line.
    res <- gauth_exec(args, input = answer, env = env)
    # An answer cut short (a wrapped line) leaves the login waiting: say
    # why and ask again.
    waiting <- res$status == 2L &&
      any(grepl("the login is still waiting", res$stderr, fixed = TRUE))
    why <- sub("^--finish: ", "", sub(" \\(the login is still waiting:.*$", "", error_line(res$stderr)))
    if (waiting && !last) {
      message("gauth: ", why, "; paste the whole address again")
      next
    }
    if (waiting) {
      stop(gauth_condition(
        paste0(why, ": the login was not completed (run the same gauth::login() again for a new address)"),
        "gauth_usage", status = 2L, stderr = res$stderr
      ))
    }
    if (res$status != 0L) stop_for_exit(res, args)
    return(res$json)
  }
}

print.gauth_login <- function(x, ...) {
  cat("Logged in", if (!is.null(x$account)) paste("as", esc(x$account)),
      "at", esc(x$issuer), sprintf("(%s flow)", esc(x$flow)), "\n")
  cat("  scopes:", paste(esc(unlist(x$scopes)), collapse = " "), "\n")
  invisible(x)
}

doctor <- function(recommend = FALSE, scopes = NULL, port = NULL) {
  if (recommend) {
    return(recommend_flow(scopes, port))
  }
  args <- c("doctor", "--json", flag_values("--port", port), flag_values("--scope", scopes))
  res <- gauth_exec(args)
  # 3 is an answer, not a failure: a loopback login needs an action or
  # another flow, and the report says which.
  if (!(res$status %in% c(0L, 3L)) || !is.list(res$json)) {
    stop_for_exit(res, args)
  }
  structure(res$json, class = "gauth_doctor", status = res$status)
}

print.gauth_doctor <- function(x, ...) {
  rec <- x$recommendation
  cat("gauth doctor: loopback login", if (isTRUE(x$loopback_ready)) "works here" else "needs a fallback here", "\n")
  if (is.list(rec)) {
    cat("Recommended flow:", esc(rec$flow), "\n")
    for (r in rec$reasons) cat("  ", esc(r), "\n", sep = "")
    cmds <- rec$commands
    if (is.data.frame(cmds) && nrow(cmds)) {
      for (i in seq_len(nrow(cmds))) cat("  ", esc(cmds$what[i]), ":\n      ", esc(cmds$run[i]), "\n", sep = "")
    }
  }
  invisible(x)
}

free_port <- function(port = 1410, yes = FALSE, force = FALSE, dry_run = FALSE) {
  port <- as.character(port)
  base <- c("free-port", "--json", port, if (force) "--force")
  if (dry_run) {
    res <- gauth_exec(c(base, "--dry-run"))
    if (!(res$status %in% c(0L, 3L)) || !is.list(res$json)) stop_for_exit(res, base)
    return(structure(res$json, class = "gauth_free_port", status = res$status))
  }
  if (!yes && is_interactive()) {
    # gauth asks on a terminal; R's console is not always gauth's terminal
    # (RStudio), so R asks, then gauth acts with --yes and checks each
    # holder again right before signalling it.
    seen <- free_port(port, force = force, dry_run = TRUE)
    if (isTRUE(seen$free)) return(invisible(seen))
    h <- seen$holders
    kill <- if (is.data.frame(h) && nrow(h)) {
      judged <- h$verdict$class
      h[judged == "expendable" | (force & judged == "not_expendable"), , drop = FALSE]
    }
    if (!is.data.frame(kill) || !nrow(kill)) {
      stop_for_exit(list(status = 3L, stderr = character(), json = seen), base)
    }
    message(paste(sprintf("%s (pid %s): %s", esc(kill$name), kill$pid, esc(kill$verdict$summary)),
                  collapse = "\n"))
    answer <- readline(sprintf("Kill %s? [y/N] ",
                               paste(sprintf("%s pid %s", esc(kill$name), kill$pid), collapse = ", ")))
    if (!tolower(trimws(answer)) %in% c("y", "yes")) {
      stop(gauth_condition(sprintf("port %s is still held: nothing was killed", port),
                           "gauth_action_needed", status = 3L, report = seen))
    }
    yes <- TRUE
    # Exactly the processes the person agreed to (pid, start time and
    # program): one that took the port while the question waited, or that
    # became another program, is left alone.
    approved <- kill$id
  } else {
    approved <- NULL
  }
  args <- c(base, if (yes) "--yes", flag_values("--only", approved))
  res <- gauth_exec(args)
  if (res$status != 0L) stop_for_exit(res, args)
  invisible(structure(res$json, class = "gauth_free_port", status = res$status))
}

print.gauth_free_port <- function(x, ...) {
  cat("gauth free-port:", esc(x$summary), "\n")
  invisible(x)
}

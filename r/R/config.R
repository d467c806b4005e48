# What gauth's config file says about the provider and the client, read the
# way gauth finds it (src/config.rs: config_path). R needs two answers from
# it: whether gauth has a client of its own (then a package's client is not
# handed over) and whether the provider is Google (which scopes a login asks
# for by default). gauth's config is a flat list of `key = value` lines with
# no tables, so the few keys needed are read with a regular expression rather
# than adding a TOML parser to the package's dependencies.

GOOGLE_ISSUER <- "https://accounts.google.com"

config_path <- function() {
  if (.Platform$OS.type == "windows") {
    appdata <- Sys.getenv("APPDATA")
    if (!nzchar(appdata)) return(NA_character_)
    return(file.path(appdata, "gauth", "config.toml"))
  }
  xdg <- Sys.getenv("XDG_CONFIG_HOME")
  if (nzchar(xdg)) return(file.path(xdg, "gauth", "config.toml"))
  home <- Sys.getenv("HOME")
  if (!nzchar(home)) return(NA_character_)
  file.path(home, ".config", "gauth", "config.toml")
}

read_config <- function(path = config_path()) {
  none <- list(path = path, issuer = NULL, client = FALSE, scopes = NULL, flow = NULL)
  if (is.na(path)) return(none)
  info <- suppressWarnings(file.info(path, extra_cols = FALSE))
  # A FIFO or a device reports size 0 and is never opened (it could block);
  # gauth itself refuses anything but a regular file of at most 1 MiB.
  if (is.na(info$size) || isTRUE(info$isdir) || info$size == 0 ||
      info$size > 1024^2) {
    return(none)
  }
  lines <- tryCatch(readLines(path, warn = FALSE, encoding = "UTF-8"),
                    error = function(e) character())
  value <- function(key) {
    re <- sprintf("^[[:space:]]*%s[[:space:]]*=[[:space:]]*(\"([^\"]*)\"|'([^']*)')", key)
    hit <- regmatches(lines, regexec(re, lines))
    hit <- Filter(length, hit)
    if (!length(hit)) return(NULL)
    m <- hit[[1]]
    if (nzchar(m[3])) m[3] else m[4]
  }
  has_key <- function(key) {
    any(grepl(sprintf("^[[:space:]]*%s[[:space:]]*=", key), lines))
  }
  scopes <- NULL
  text <- paste(sub("#[^\"']*$", "", lines), collapse = "\n")
  sm <- regmatches(text, regexec("(^|\n)[[:space:]]*scopes[[:space:]]*=[[:space:]]*\\[([^]]*)\\]", text))[[1]]
  if (length(sm)) {
    items <- regmatches(sm[3], gregexpr("\"[^\"]*\"|'[^']*'", sm[3]))[[1]]
    scopes <- substr(items, 2L, nchar(items) - 1L)
  }
  list(
    path = path,
    issuer = value("issuer"),
    client = has_key("client_id") || has_key("credentials"),
    scopes = scopes,
    flow = value("flow")
  )
}

is_google <- function(issuer) {
  is.null(issuer) || identical(sub("/+$", "", issuer), GOOGLE_ISSUER)
}

# A client handed in by a package: gargle >= 1.5 passes `client`
# (gargle_oauth_client: $id, $secret); earlier releases, such as gargle
# 1.3.0, pass an httr `app` ($key, $secret). Also a list(id =, secret =) or a
# bare client id.
client_parts <- function(client) {
  if (is.null(client)) return(NULL)
  if (is.character(client)) {
    return(list(id = client[1], secret = NULL))
  }
  id <- client[["id"]] %||% client[["key"]]
  if (!is.character(id) || length(id) != 1L || is.na(id) || !nzchar(id)) {
    return(NULL)
  }
  secret <- client[["secret"]]
  if (!is.character(secret) || length(secret) != 1L || is.na(secret) || !nzchar(secret)) {
    secret <- NULL
  }
  list(id = id, secret = secret)
}

client_env <- function(parts) {
  if (is.null(parts)) return(character())
  c(GAUTH_CLIENT_ID = parts$id,
    if (!is.null(parts$secret)) c(GAUTH_CLIENT_SECRET = parts$secret))
}

`%||%` <- function(a, b) if (is.null(a)) b else a

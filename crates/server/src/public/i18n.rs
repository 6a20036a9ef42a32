//! The public pages' chrome in English and Spanish: the language chosen from `?lang=` or
//! `Accept-Language`, every fixed string, counts and dates. Content (questions, answers) is
//! shown as staff wrote it.

use curbside_domain::{Platform, UnixMillis};

/// A language the public pages speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    En,
    Es,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
        }
    }

    /// The language's name in itself, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Es => "Español",
        }
    }

    fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "es" => Some(Lang::Es),
            _ => None,
        }
    }

    /// `?lang=` wins (the visible switch); else the best of `Accept-Language` by q-value;
    /// else English. Returns whether the choice came from the header (then responses vary by it).
    pub fn choose(query: Option<&str>, accept_language: Option<&str>) -> (Lang, bool) {
        if let Some(l) = query.and_then(Lang::parse) {
            return (l, false);
        }
        let mut best: Option<(f32, Lang)> = None;
        for part in accept_language.unwrap_or("").split(',').take(20) {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("");
            let q = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(l) = Lang::parse(tag) {
                if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                    best = Some((q, l));
                }
            }
        }
        (best.map(|(_, l)| l).unwrap_or(Lang::En), true)
    }

    pub fn t(self) -> &'static Strings {
        match self {
            Lang::En => &EN,
            Lang::Es => &ES,
        }
    }

    /// "Asked by 3 viewers on Facebook and Instagram".
    pub fn asked_by(self, n: i64, platforms: &[Platform]) -> String {
        let names: Vec<&str> = platforms.iter().map(|p| self.platform(*p)).collect();
        let (and, one, many, on) = match self {
            Lang::En => (" and ", "Asked by 1 viewer", "viewers", "on"),
            Lang::Es => (" y ", "Preguntado por 1 espectador", "espectadores", "en"),
        };
        let who = if n == 1 {
            one.to_owned()
        } else {
            match self {
                Lang::En => format!("Asked by {n} {many}"),
                Lang::Es => format!("Preguntado por {n} {many}"),
            }
        };
        let list = match names.as_slice() {
            [] => return who,
            [one] => (*one).to_owned(),
            [init @ .., last] => format!("{}{and}{last}", init.join(", ")),
        };
        format!("{who} {on} {list}")
    }

    pub fn platform(self, p: Platform) -> &'static str {
        match (p, self) {
            (Platform::Facebook, _) => "Facebook",
            (Platform::Instagram, _) => "Instagram",
            (Platform::Web, Lang::En) => "this website",
            (Platform::Web, Lang::Es) => "este sitio web",
        }
    }

    /// "2 December 2026, 15:04 UTC".
    pub fn datetime(self, at: UnixMillis) -> String {
        let Ok(t) = time::OffsetDateTime::from_unix_timestamp(at.div_euclid(1000)) else {
            return String::new();
        };
        let month = self.t().months[usize::from(u8::from(t.month())) - 1];
        match self {
            Lang::En => format!("{} {month} {}, {:02}:{:02} UTC", t.day(), t.year(), t.hour(), t.minute()),
            Lang::Es => {
                format!("{} de {month} de {}, {:02}:{:02} UTC", t.day(), t.year(), t.hour(), t.minute())
            }
        }
    }

    /// "15:04 UTC".
    pub fn time_of_day(self, at: UnixMillis) -> String {
        match time::OffsetDateTime::from_unix_timestamp(at.div_euclid(1000)) {
            Ok(t) => format!("{:02}:{:02} UTC", t.hour(), t.minute()),
            Err(_) => String::new(),
        }
    }

    pub fn count_answers(self, n: usize) -> String {
        match (self, n) {
            (Lang::En, 1) => "1 answer".into(),
            (Lang::En, n) => format!("{n} answers"),
            (Lang::Es, 1) => "1 respuesta".into(),
            (Lang::Es, n) => format!("{n} respuestas"),
        }
    }
}

/// An RFC 3339 time for `<time datetime>` and exports.
pub fn iso(at: UnixMillis) -> String {
    time::OffsetDateTime::from_unix_timestamp(at.div_euclid(1000))
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// `h:mm:ss` or `m:ss`, for a moment in a recording.
pub fn clock(seconds: i64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds / 60) % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

/// Every fixed string of the public pages, in one language.
#[derive(Debug)]
pub struct Strings {
    pub site: &'static str,
    pub skip: &'static str,
    pub sessions: &'static str,
    pub language: &'static str,
    pub live: &'static str,
    pub upcoming: &'static str,
    pub ended: &'static str,
    pub starts: &'static str,
    pub start_tbd: &'static str,
    pub started: &'static str,
    pub specialists: &'static str,
    pub answers: &'static str,
    pub no_answers_yet: &'static str,
    pub answered_by: &'static str,
    pub corrected_on: &'static str,
    pub myth_addressed: &'static str,
    pub myth_source: &'static str,
    pub watch: &'static str,
    pub all_answers: &'static str,
    pub disclaimer: &'static str,
    pub search: &'static str,
    pub search_this: &'static str,
    pub search_all: &'static str,
    pub search_label: &'static str,
    pub search_button: &'static str,
    pub results_for: &'static str,
    pub no_results: &'static str,
    pub downloads: &'static str,
    pub dl_json: &'static str,
    pub dl_md: &'static str,
    pub dl_csv: &'static str,
    pub dl_vtt: &'static str,
    pub ask: &'static str,
    pub ask_intro: &'static str,
    pub ask_label: &'static str,
    pub ask_hint: &'static str,
    pub ask_privacy: &'static str,
    pub ask_button: &'static str,
    pub honeypot: &'static str,
    pub asked_title: &'static str,
    pub asked_body: &'static str,
    pub asked_where: &'static str,
    pub asked_back: &'static str,
    pub ask_closed: &'static str,
    pub ask_too_long: &'static str,
    pub ask_empty: &'static str,
    pub ask_rate: &'static str,
    pub ask_cross_site: &'static str,
    pub not_found_title: &'static str,
    pub not_found_body: &'static str,
    pub error_title: &'static str,
    pub error_body: &'static str,
    pub upcoming_list: &'static str,
    pub live_list: &'static str,
    pub past_list: &'static str,
    pub no_sessions: &'static str,
    pub new_one: &'static str,
    pub new_many: &'static str,
    pub corrected_one: &'static str,
    pub show_new: &'static str,
    pub reload: &'static str,
    pub footer: &'static str,
    pub months: [&'static str; 12],
}

static EN: Strings = Strings {
    site: "Patient Q&A",
    skip: "Skip to main content",
    sessions: "All sessions",
    language: "Language",
    live: "Live now",
    upcoming: "Upcoming",
    ended: "Ended",
    starts: "Starts",
    start_tbd: "Start time to be announced",
    started: "Went live",
    specialists: "Specialists",
    answers: "Answers",
    no_answers_yet: "No answers yet. Answers appear here as the specialists give them.",
    answered_by: "Answered by",
    corrected_on: "Corrected on",
    myth_addressed: "Common myth addressed",
    myth_source: "Read more from",
    watch: "Watch this answer in the recording",
    all_answers: "All answers from this session",
    disclaimer: "Important",
    search: "Search",
    search_this: "Search this session",
    search_all: "Search all sessions",
    search_label: "Words to find",
    search_button: "Search",
    results_for: "Results for",
    no_results: "No answers match these words.",
    downloads: "Download the transcript",
    dl_json: "JSON",
    dl_md: "Markdown",
    dl_csv: "Spreadsheet (CSV)",
    dl_vtt: "Video chapters (WebVTT)",
    ask: "Ask a question",
    ask_intro: "No Facebook or Instagram account? Ask the specialists here.",
    ask_label: "Your question",
    ask_hint: "Up to 500 characters.",
    ask_privacy: "Don't include names or personal details: questions and answers are published. \
        For advice about your own care, contact your clinician. In an emergency call 911.",
    ask_button: "Send question",
    honeypot: "Leave this field empty",
    asked_title: "Thank you: your question was received",
    asked_body: "Moderators review every question. If yours is chosen, the specialists answer it live.",
    asked_where: "The answer will appear on this session's page. You will not get a personal reply.",
    asked_back: "Back to the session",
    ask_closed: "This session has ended and no longer takes questions.",
    ask_too_long: "Your question is longer than 500 characters. Please shorten it.",
    ask_empty: "Please type a question.",
    ask_rate: "You have sent several questions just now. Please wait a few minutes and try again.",
    ask_cross_site:
        "This form can only be sent from this website. Please open the session's page and try again.",
    not_found_title: "Page not found",
    not_found_body: "There is no session or answer at this address. It may have been moved or mistyped.",
    error_title: "Something went wrong",
    error_body: "This page could not be shown right now. Please try again in a moment.",
    upcoming_list: "Upcoming sessions",
    live_list: "Live now",
    past_list: "Past sessions",
    no_sessions: "No sessions yet.",
    new_one: "1 new answer",
    new_many: "{n} new answers",
    corrected_one: "An answer was corrected",
    show_new: "Show",
    reload: "Live updates stopped. Reload the page for the latest answers.",
    footer: "Answers are general health information, not medical advice for any individual.",
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
};

static ES: Strings = Strings {
    site: "Preguntas de pacientes",
    skip: "Saltar al contenido principal",
    sessions: "Todas las sesiones",
    language: "Idioma",
    live: "En vivo",
    upcoming: "Próximamente",
    ended: "Finalizada",
    starts: "Empieza",
    start_tbd: "Hora de inicio por anunciar",
    started: "Empezó",
    specialists: "Especialistas",
    answers: "Respuestas",
    no_answers_yet: "Todavía no hay respuestas. Aparecerán aquí a medida que los especialistas respondan.",
    answered_by: "Respondida por",
    corrected_on: "Corregida el",
    myth_addressed: "Se aclaró un mito común",
    myth_source: "Más información en",
    watch: "Ver esta respuesta en la grabación",
    all_answers: "Todas las respuestas de esta sesión",
    disclaimer: "Importante",
    search: "Buscar",
    search_this: "Buscar en esta sesión",
    search_all: "Buscar en todas las sesiones",
    search_label: "Palabras a buscar",
    search_button: "Buscar",
    results_for: "Resultados para",
    no_results: "Ninguna respuesta coincide con estas palabras.",
    downloads: "Descargar la transcripción",
    dl_json: "JSON",
    dl_md: "Markdown",
    dl_csv: "Hoja de cálculo (CSV)",
    dl_vtt: "Capítulos de video (WebVTT)",
    ask: "Haga una pregunta",
    ask_intro: "¿No tiene cuenta de Facebook o Instagram? Pregunte aquí a los especialistas.",
    ask_label: "Su pregunta",
    ask_hint: "Hasta 500 caracteres.",
    ask_privacy: "No incluya nombres ni datos personales: las preguntas y respuestas se publican. \
        Para consejos sobre su propia salud, consulte a su médico. En una emergencia llame al 911.",
    ask_button: "Enviar pregunta",
    honeypot: "Deje este campo vacío",
    asked_title: "Gracias: recibimos su pregunta",
    asked_body: "Los moderadores revisan cada pregunta. Si eligen la suya, los especialistas la responderán en vivo.",
    asked_where: "La respuesta aparecerá en la página de esta sesión. No recibirá una respuesta personal.",
    asked_back: "Volver a la sesión",
    ask_closed: "Esta sesión terminó y ya no recibe preguntas.",
    ask_too_long: "Su pregunta tiene más de 500 caracteres. Por favor, acórtela.",
    ask_empty: "Por favor, escriba una pregunta.",
    ask_rate: "Envió varias preguntas hace poco. Espere unos minutos y vuelva a intentarlo.",
    ask_cross_site: "Este formulario solo se puede enviar desde este sitio. Abra la página de la sesión e inténtelo de nuevo.",
    not_found_title: "Página no encontrada",
    not_found_body: "No hay ninguna sesión ni respuesta en esta dirección. Puede que se haya movido o esté mal escrita.",
    error_title: "Algo salió mal",
    error_body: "No se pudo mostrar esta página. Inténtelo de nuevo en un momento.",
    upcoming_list: "Próximas sesiones",
    live_list: "En vivo",
    past_list: "Sesiones anteriores",
    no_sessions: "Todavía no hay sesiones.",
    new_one: "1 respuesta nueva",
    new_many: "{n} respuestas nuevas",
    corrected_one: "Se corrigió una respuesta",
    show_new: "Mostrar",
    reload: "Las actualizaciones en vivo se detuvieron. Recargue la página para ver las últimas respuestas.",
    footer: "Las respuestas son información general de salud, no consejo médico para ninguna persona.",
    months: [
        "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
        "noviembre", "diciembre",
    ],
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_wins_over_accept_language() {
        assert_eq!(Lang::choose(Some("es"), Some("en-US")), (Lang::Es, false));
    }

    #[test]
    fn accept_language_picks_the_highest_known_q() {
        assert_eq!(Lang::choose(None, Some("fr;q=1, es-MX;q=0.8, en;q=0.5")).0, Lang::Es);
        assert_eq!(Lang::choose(None, Some("de")).0, Lang::En);
        assert_eq!(Lang::choose(None, Some("es;q=0, en")).0, Lang::En);
        assert_eq!(Lang::choose(None, None), (Lang::En, true));
    }

    #[test]
    fn asked_by_names_platforms() {
        use Platform::*;
        assert_eq!(
            Lang::En.asked_by(3, &[Facebook, Instagram]),
            "Asked by 3 viewers on Facebook and Instagram"
        );
        assert_eq!(Lang::En.asked_by(1, &[Web]), "Asked by 1 viewer on this website");
        assert_eq!(
            Lang::Es.asked_by(4, &[Facebook, Instagram, Web]),
            "Preguntado por 4 espectadores en Facebook, Instagram y este sitio web"
        );
    }

    #[test]
    fn dates_and_clocks_read_naturally() {
        assert_eq!(Lang::En.datetime(1_764_687_840_000), "2 December 2025, 15:04 UTC");
        assert_eq!(Lang::Es.datetime(1_764_687_840_000), "2 de diciembre de 2025, 15:04 UTC");
        assert_eq!(iso(1_764_687_840_000), "2025-12-02T15:04:00Z");
        assert_eq!(clock(75), "1:15");
        assert_eq!(clock(3_725), "1:02:05");
    }
}

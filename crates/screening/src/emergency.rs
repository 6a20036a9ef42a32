//! Emergencies and crises in English and Spanish, with everyday spelling and typos: chest pain,
//! stroke signs, breathing trouble, severe bleeding, overdose and poisoning, unresponsiveness,
//! seizures, severe allergic reactions, suicidal intent and self-harm.
//!
//! A sign counts unless the comment talks about it as a topic ("what are the signs of a stroke?",
//! "I read that chest pain can be…", "my dad had a stroke last year") with nothing saying it is
//! happening now. For suicidal intent, a plan, a time or a place are reported as risk signals.

use regex::Regex;
use std::sync::LazyLock;

/// What fired: the kind of emergency and, for crises, the risk signals present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmergencyHit {
    pub reason: String,
}

struct Sign {
    reason: &'static str,
    pattern: Regex,
    /// Self-harm signs are never "just a topic" when written in the first person.
    crisis: bool,
}

fn re(p: &str) -> Regex {
    crate::text::pattern(p)
}

static SIGNS: LazyLock<Vec<Sign>> = LazyLock::new(|| {
    let sign = |reason, p: &str, crisis| Sign { reason, pattern: re(p), crisis };
    vec![
        sign(
            "chest pain",
            r"\b(?:chest|chst|chect)\s*(?:pains?|pian|hurts?|hurting|pressure|tightness|is\s+(?:tight|heavy|hurting|killing))|(?:pain|pressure|tightness|squeezing|heaviness|crushing|elephant)\s+(?:in|on)\s+(?:my|his|her|the)\s+chest|crushing\s+(?:pain|chest)|chest\s+feels\s+(?:like|tight|heavy|crushed)|elephant\s+(?:sitting\s+|standing\s+)?on\s+(?:my|his|her|the)\s+chest|\bdolor\s+(?:de|en\s+el|del)\s+pecho|duele\s+(?:mucho\s+)?el\s+pecho|opresion\s+(?:en\s+el|del)\s+pecho|presion\s+en\s+el\s+pecho|pecho\s+apretado",
            false,
        ),
        // The bare nouns are topics ("heart attack symptoms in women"); someone having one now is not.
        sign(
            "heart attack or stroke happening",
            r"(?:having|have|had)\s+a\s+(?:heart\s*attack|hart\s+attack|stroke)\s+(?:right\s+now|now|rn)\b|(?:i'?m|im|i\s+am|he'?s|hes|she'?s|shes|is|are)\s+(?:having|haveing)\s+a\s+(?:heart\s*attack|hart\s+attack|stroke)|(?:esta|estoy|estan)\s+(?:teniendo|dando)\s+un\s+(?:infarto|derrame|ataque)|le\s+(?:esta\s+)?(?:dando|dio)\s+un\s+(?:infarto|derrame|ataque)|me\s+(?:esta\s+)?(?:dando|dio)\s+un\s+(?:infarto|ataque)",
            false,
        ),
        sign(
            "stroke signs",
            r"face\s+(?:is\s+)?(?:drooping|droopy|droops|dropping|dropped|numb)|(?:drooping|droopy)\s+(?:face|mouth|smile)|one\s+side\s+of\s+(?:his|her|my|the)\s+(?:face|body)|slurr?(?:ed|ing)\s+(?:speech|words|his|her|my)|slurr?ing|face\s+(?:went|is|going|got|feels)\s+numb|can'?t\s+(?:talk|speak)\s+(?:right|properly|clearly|straight|normal)|arrastr\w*\s+las\s+palabras|(?:can'?t|cannot|can\s+not|unable\s+to)\s+(?:move|lift|feel)\s+(?:his|her|my)\s+(?:left|right)?\s*(?:arm|leg|side|hand)|sudden(?:ly)?\s+(?:can'?t|cannot)\s+(?:see|talk|speak)|cara\s+(?:torcida|caida|chueca|dormida)|boca\s+(?:torcida|chueca)|no\s+puede\s+(?:hablar|mover\s+(?:el|la|su)\s+(?:brazo|pierna|lado))|habla\s+(?:arrastrada|rara|trabada)|arrastra\s+las\s+palabras",
            false,
        ),
        sign(
            "trouble breathing",
            r"(?:can'?t|cant|cannot|can\s+not|cnt|unable\s+to|hard\s+to|struggling\s+to|trouble|difficulty|hard\s+time)\s+(?:breath|breathe|breathing|breth|breathin|catch\s+(?:my|his|her)\s+breath)|gasping|(?:lips|face)\s+(?:are\s+|is\s+|turning\s+|going\s+)?(?:blue|purple|gray|grey)|turning\s+blue|is\s+choking|he'?s\s+choking|she'?s\s+choking|\bchoking\b|no\s+(?:puedo|puede|podemos)\s+respirar|le\s+cuesta\s+(?:mucho\s+)?respirar|me\s+cuesta\s+(?:mucho\s+)?respirar|se\s+(?:esta\s+)?ahog|labios\s+(?:morados|azules)|dificultad\s+para\s+respirar|falta\s+de\s+aire|me\s+falta\s+el\s+aire",
            false,
        ),
        sign(
            "severe bleeding",
            r"bleeding\s+(?:won'?t|wont|will\s+not|doesn'?t|does\s+not|isn'?t|not|that\s+won'?t)\s+(?:stop|stopping)|(?:won'?t|wont|will\s+not)\s+stop\s+bleeding|bleeding\s+(?:a\s+lot|heavily|badly|so\s+much|everywhere|like\s+crazy)|blood\s+everywhere|soaked\s+(?:through|in\s+blood)|gushing|bleeding\s+out|no\s+(?:para|deja)\s+de\s+sangrar|sangra\s+(?:mucho|demasiado|sin\s+parar)|esta\s+sangrando\s+mucho|hemorragia|mucha\s+sangre",
            false,
        ),
        sign(
            "overdose or poisoning",
            r"overdos|\bod'?d\b|\bod\s+on|took\s+(?:a\s+(?:whole\s+)?bottle|all\s+(?:my|his|her|the)|the\s+whole\s+bottle|too\s+many|like\s+\d+|\d+)\s+(?:of\s+)?(?:\w+\s+)?(?:pills|tablets|tylenol|meds|xanax|advil|sleeping)|swallowed\s+(?:some\s+|a\s+)?(?:bleach|pills|detergent|a\s+battery|battery|a\s+magnet|cleaner|chemicals|antifreeze|pod|tide)|(?:drank|ate|got\s+into)\s+(?:some\s+|the\s+)?(?:bleach|antifreeze|cleaner|chemicals|detergent|pills|rat\s+poison|grandma'?s\s+pills)|poison(?:ed|ing)\b|sobredosis|se\s+(?:tomo|trago|comio|bebio)\s+(?:un\s+frasco|todas|todo\s+el\s+frasco|unas|varias|muchas|el\s+cloro|cloro|lejia|pastillas|las\s+pastillas|veneno|una\s+pila)|(?:trago|tomo|bebio)\s+(?:cloro|lejia|veneno|pastillas|una\s+pila)|envenen|intoxica",
            false,
        ),
        sign(
            "unresponsive or collapsed",
            r"(?:won'?t|wont|will\s+not|not|isn'?t|can'?t|cant)\s+wak(?:e|ing)\s*(?:him|her|them)?\s*up|unresponsive|(?:not|isn'?t|won'?t|wont|stopped)\s+respond(?:ing)?|feel\s+like\s+(?:i'?m\s+)?(?:passing\s+out|going\s+to\s+pass\s+out|fainting)|about\s+to\s+pass\s+out|heart\s+(?:is\s+)?(?:racing|pounding)\s+(?:at\s+)?(?:\d{3}|so\s+fast)|passed\s+out\s+and|collapsed|fainted\s+and\s+(?:won'?t|isn'?t)|isn'?t\s+breathing|not\s+breathing|no\s+(?:despierta|reacciona|responde)|se\s+desmayo\s+y|no\s+respira|se\s+desplomo|inconsciente",
            false,
        ),
        sign(
            "seizure",
            r"having\s+a\s+seizure|(?:is\s+)?seizing|convulsing|(?:first|1st)\s+seizure|seizure\s+(?:right\s+now|won'?t\s+stop|for\s+\d+)|convulsion(?:ando|es)?\b|esta\s+convulsionando|le\s+dio\s+una\s+convulsion",
            false,
        ),
        sign(
            "severe allergic reaction",
            r"throat\s+(?:is\s+)?(?:closing|swelling|tight|closing\s+up)|(?:face|lips|tongue)\s+(?:is\s+|are\s+)?(?:swelling|swollen|swelled)|anaphyla|epi\s*pen|se\s+le\s+(?:esta\s+)?cerr(?:ando|a)\s+la\s+garganta|se\s+le\s+(?:esta\s+)?hinch(?:ando|a|o)\s+(?:la\s+cara|los\s+labios|la\s+lengua)|garganta\s+cerrada",
            false,
        ),
        sign(
            "sudden severe headache",
            r"worst\s+headache\s+(?:of\s+my\s+life|ever|i'?ve\s+ever)|thunderclap|peor\s+dolor\s+de\s+cabeza",
            false,
        ),
        sign(
            "baby with a high fever",
            r"(?:newborn|\b\d\s*(?:week|wk|wks|weeks)\s*old|\b[1-2]\s*(?:month|mo)\s*old|recien\s+nacid[oa]|bebe\s+de\s+\d\s+(?:semanas|mes))[^.?!]{0,60}(?:fever|temp|fiebre|calentura|limp|floppy|won'?t\s+eat)",
            false,
        ),
        sign(
            "severe burn",
            r"(?:bad(?:ly)?|severe(?:ly)?|third\s+degree|3rd\s+degree)\s+burn|burned\s+(?:his|her|my)\s+(?:whole|entire)|skin\s+(?:is\s+)?(?:peeling\s+off|white\s+and\s+leathery)|quemadura\s+(?:grave|fuerte|de\s+tercer)|se\s+quemo\s+(?:toda|todo|la\s+cara|el\s+brazo)\s*(?:con\s+agua\s+hirviendo|con\s+aceite)?",
            false,
        ),
        sign(
            "suicidal intent",
            r"kill\s+(?:my\s*self|myself|mysef|meself|my\s+self)|\bkms\b|end\s+(?:my|it)\s+(?:life|all)|end\s+it\s+(?:all|tonight|today)|take\s+my\s+(?:own\s+)?life|(?:want|wanna|going|gonna|plan|planning)\s+(?:to\s+)?(?:die|be\s+dead|disappear\s+forever|not\s+wake\s+up)|suicid(?:al|e)\s+(?:thoughts|again|right\s+now|tonight)|(?:i'?m|im|i\s+am|feeling|feel|been)\s+(?:so\s+|really\s+|very\s+)?suicidal|don'?t\s+want\s+to\s+(?:live|be\s+alive|be\s+here|wake\s+up)|dont\s+want\s+to\s+(?:live|be\s+alive)|no\s+reason\s+to\s+live|better\s+off\s+(?:dead|without\s+me)|(?:say|saying|said)\s+goodbye\s+(?:to\s+everyone|forever)|(?:going\s+to|gonna|wants?\s+to|threatening\s+to)\s+kill\s+(?:himself|herself|themselves)|quitarme\s+la\s+vida|quitarse\s+la\s+vida|suicidar(?:me|se)|matarme|me\s+quiero\s+(?:morir|matar)|quiero\s+(?:morirme|morir|matarme|desaparecer)|no\s+quiero\s+(?:vivir|seguir\s+viviendo|despertar)|acabar\s+con\s+(?:todo|mi\s+vida)|se\s+quiere\s+(?:matar|morir|suicidar)|mejor\s+(?:muerto|muerta)|despedirme\s+de\s+todos|(?:going\s+to|gonna|will|i'?ll)\s+take\s+(?:them\s+)?all|pills\s+(?:ready|saved\s+up|lined\s+up)|(?:nobody|no\s+one|noone)\s+would\s+(?:care|miss\s+me|notice)\s+if\s+i|goodbye\s+everyone|i'?m\s+done\s+with\s+(?:life|everything|living)|jump(?:ing)?\s+off\s+(?:the|a|this)\s+(?:bridge|roof|building|overpass)|thinking\s+(?:about|of)\s+(?:ending\s+it|killing\s+myself|dying)|me\s+las\s+voy\s+a\s+tomar|voy\s+a\s+tomar(?:me)?\s+todas|a\s+nadie\s+le\s+importaria\s+si|tirarme\s+(?:del|de\s+un|de\s+la)|aventarme|saving\s+(?:up\s+)?(?:my\s+)?(?:pills|meds)|stockpil|tonight\s+is\s+the\s+night|(?:what'?s|whats)\s+the\s+point\s+(?:anymore|of\s+living|of\s+going\s+on)|i'?m\s+(?:just\s+)?a\s+burden|burden\s+to\s+everyone|no\s+point\s+(?:in\s+)?living|ya\s+no\s+tiene\s+sentido|soy\s+una\s+carga|guardando\s+(?:mis\s+)?pastillas",
            true,
        ),
        sign(
            "self-harm",
            r"(?:hurt|hurting|harm|harming|cut|cutting|burn|burning)\s+(?:my\s*self|myself|mysef)|self[\s\-]?harm(?:ing)?\s+(?:again|tonight|right\s+now)|(?:started|start)\s+cutting\s+again|cutting\s+again|hacerme\s+dano|cortarme|me\s+corto|me\s+estoy\s+cortando|lastimarme",
            true,
        ),
    ]
});

/// Talking about a sign rather than having it: questions about signs, reading or hearing about
/// them, the past, hypotheticals, prevention.
static TOPIC: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"what\s+(?:are|r)\s+(?:\w+\s+){0,3}(?:signs|symptoms|warning|early)|\blol\b|\blmao\b|jaja|haha|😂|🤣|\bprevent|\brisk\b|previen|prevenir|riesgo|recuperacion|recovery|survivor|sobreviviente|sobrevivi|\bnormal\b|when\s+should\s+(?:you|i|we|someone|a\s+person)|cuando\s+(?:hay\s+que|se\s+debe|debo)|in\s+the\s+(?:\d0s|nineties|eighties|seventies)|best\s+way|(?:signs|symptoms)\s+of|how\s+(?:do\s+(?:you|i|we)|can\s+(?:you|i))\s+(?:know|tell|recognize|spot|prevent|help|talk|support|reduce|lower)|how\s+to\s+(?:tell|know|recognize|spot|prevent|help|talk|support|respond|reduce)|i\s+(?:read|heard|saw|learned)|read\s+(?:that|an|a)|(?:can|does|do|could|is)\s+(?:\w+\s+){0,3}(?:cause|be\s+a\s+sign|lead\s+to|mean|increase|raise)|risk\s+(?:of|factors?|for)|what\s+(?:causes|happens|should\s+(?:you|i|we)\s+do\s+if)|what\s+to\s+do\s+(?:if|when)|(?:last|this\s+past)\s+(?:year|month|summer|winter|spring|fall)|\b(?:years|months|weeks)\s+ago|\bin\s+(?:19|20)\d{2}|had\s+a\s+(?:stroke|heart\s+attack|seizure)|(?:survivor|survived|recovering|recovery|rehab|after\s+(?:a|his|her|my)\s+(?:stroke|heart\s+attack))|prevention|awareness|hypothetically|\bif\s+someone|\bwhen\s+someone|\bfor\s+someone\s+who|\bsomeone\s+(?:who|having)|difference\s+between|is\s+it\s+(?:true|normal)|movie|show|book|song|game|joke|cuales\s+son\s+los\s+(?:sintomas|signos)|(?:sintomas|signos|senales)\s+de|como\s+(?:se\s+sabe|saber|reconocer|prevenir|ayudar|hablar)|lei\s+que|escuche\s+que|vi\s+que|puede\s+(?:causar|ser)|que\s+causa|el\s+ano\s+pasado|hace\s+(?:\d+\s+)?(?:anos|meses|semanas)|tuvo\s+un\s+(?:derrame|infarto)|despues\s+de\s+(?:un|su)\s+(?:derrame|infarto)|prevencion|si\s+alguien|que\s+hacer\s+(?:si|cuando)",
    )
});

/// Happening now: "right now", "currently", "tonight", "help", present tense first person.
static NOW: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"right\s+now|rn\b|\bnow\b|currently|at\s+the\s+moment|tonight|this\s+(?:morning|afternoon|evening)|today|for\s+the\s+(?:last|past)\s+(?:\d+|few|couple)\s+(?:min|minutes|hours|hrs)|\bhelp\b|asap|what\s+do\s+i\s+do|what\s+should\s+i\s+do|should\s+i\s+call|ahora|ahorita|en\s+este\s+momento|ayuda|auxilio|urgente|que\s+hago|esta\s+noche|hoy",
    )
});

/// Risk signals for self-harm (the Lifeline's plan, time and place).
static PLAN: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"pills|gun|rope|bridge|knife|razor|jump|hang|overdose|bottle|car|train|pastillas|pistola|arma|cuerda|puente|cuchillo|navaja|saltar|ahorcar",
    )
});
static TIME: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"tonight|today|tomorrow|this\s+weekend|right\s+now|after\s+(?:this|the\s+stream|everyone)|when\s+everyone|at\s+\d|esta\s+noche|hoy|manana|ahora|este\s+fin\s+de\s+semana",
    )
});
static PLACE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"bridge|roof|garage|bathroom|woods|parking|tracks|train|puente|azotea|techo|bano|garaje|vias")
});

/// The emergency signs in a folded comment, or `None` when none counts.
pub fn detect(folded: &str) -> Option<EmergencyHit> {
    let mut reasons: Vec<String> = Vec::new();
    let topic = TOPIC.is_match(folded);
    let now = NOW.is_match(folded);
    for sign in SIGNS.iter() {
        if !sign.pattern.is_match(folded) {
            continue;
        }
        if topic && !now && !sign.crisis {
            continue;
        }
        if sign.crisis {
            let mut risks = Vec::new();
            if PLAN.is_match(folded) {
                risks.push("plan");
            }
            if TIME.is_match(folded) {
                risks.push("time");
            }
            if PLACE.is_match(folded) {
                risks.push("place");
            }
            if risks.is_empty() {
                reasons.push(sign.reason.to_owned());
            } else {
                reasons.push(format!("{} (risk signals: {})", sign.reason, risks.join(", ")));
            }
        } else if now {
            reasons.push(format!("{} happening now", sign.reason));
        } else {
            reasons.push(sign.reason.to_owned());
        }
    }
    if reasons.is_empty() {
        None
    } else {
        Some(EmergencyHit { reason: reasons.join("; ") })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::fold;

    fn fires(t: &str) -> bool {
        detect(&fold(t)).is_some()
    }

    #[test]
    fn acute_signs_fire_in_english_and_spanish_with_typos() {
        for t in [
            "my chest hurts so bad right now what do i do",
            "crushing pain in my chest and my left arm is numb",
            "my dads face is drooping and hes slurring his words",
            "cant breath help",
            "mi hijo se tomó unas pastillas de la abuela",
            "me duele mucho el pecho ahorita",
            "mi mamá no puede hablar y tiene la cara torcida",
            "the bleeding wont stop",
            "baby 3 weeks old has a fever of 101",
        ] {
            assert!(fires(t), "{t}");
        }
    }

    #[test]
    fn topics_past_events_and_questions_about_signs_do_not_fire() {
        for t in [
            "what are the signs of a stroke?",
            "I read that chest pain can be a sign of anxiety, is that true?",
            "my dad had a stroke last year, how do we prevent another",
            "cuáles son los síntomas de un infarto en mujeres",
            "my mom has diabetes",
        ] {
            assert!(!fires(t), "{t}");
        }
    }

    #[test]
    fn suicidal_intent_reports_plan_time_and_place() {
        let hit = detect(&fold("i have the pills and im going to kill myself tonight")).unwrap();
        assert_eq!(hit.reason, "suicidal intent (risk signals: plan, time)");
        assert!(fires("ya no quiero vivir"));
        assert!(!fires("how do i talk to my teen about suicide prevention"));
    }
}

//! What viewers of a hospital's live cardiology Q&A actually write, as text pools for the script.
//! All people, numbers, emails and addresses are invented; phone numbers use the fictional 555-01xx.
//!
//! The mix follows `../shared/reference/healthcare-practice.md`: general questions (and the same
//! question again in other words), private details (§1: names, phones, emails, dates, record and
//! member numbers, addresses, @handles), individual advice requests (§2), one medical emergency and
//! one crisis (§4), and questions *about* emergencies that must not be mistaken for one.

/// A question topic and the different ways viewers ask it. The first line is the canonical wording;
/// the rest (and the Spanish ones) are duplicates in other words.
pub(crate) struct Topic {
    pub(crate) key: &'static str,
    pub(crate) lines: &'static [&'static str],
    pub(crate) spanish: &'static [&'static str],
}

pub(crate) const TOPICS: &[Topic] = &[
    Topic {
        key: "ldl_target",
        lines: &[
            "What LDL cholesterol number should I be aiming for?",
            "whats a good LDL level? mine keeps creeping up",
            "How low should your bad cholesterol actually be?",
        ],
        spanish: &["¿Cuál es un buen nivel de colesterol LDL?"],
    },
    Topic {
        key: "bp_normal",
        lines: &[
            "What counts as high blood pressure now? I heard the numbers changed",
            "Is 135/85 considered high blood pressure these days?",
            "what is a normal blood pressure reading for adults",
        ],
        spanish: &["¿Cuál es la presión arterial normal para un adulto?"],
    },
    Topic {
        key: "statin_side_effects",
        lines: &[
            "Do statins really cause muscle pain? I'm nervous about starting one",
            "statins and muscle aches, how common is that really",
            "Are the side effects of statins worth the benefit?",
        ],
        spanish: &[],
    },
    Topic {
        key: "afib_basics",
        lines: &[
            "What exactly is AFib and how dangerous is it?",
            "Can someone explain atrial fibrillation in simple terms",
            "Is AFib something people live with for years?",
        ],
        spanish: &["¿Qué es la fibrilación auricular y es peligrosa?"],
    },
    Topic {
        key: "afib_blood_thinners",
        lines: &[
            "Why do people with AFib need blood thinners?",
            "Does everyone with afib have to be on anticoagulants for life?",
        ],
        spanish: &[],
    },
    Topic {
        key: "exercise_after_stent",
        lines: &[
            "How soon can you exercise after getting a stent?",
            "When is it safe to go back to the gym after a stent?",
            "exercise after angioplasty, what's the usual timeline?",
        ],
        spanish: &["¿Cuándo se puede hacer ejercicio después de un stent?"],
    },
    Topic {
        key: "salt",
        lines: &[
            "How much salt per day is actually OK for your heart?",
            "Is sea salt or pink salt any better than regular salt for blood pressure?",
            "how many mg of sodium should we eat a day",
        ],
        spanish: &["¿Cuánta sal al día es segura para el corazón?"],
    },
    Topic {
        key: "coffee",
        lines: &[
            "Is coffee bad for your heart?",
            "How many cups of coffee a day are safe if you have high blood pressure?",
            "Does caffeine trigger AFib or is that a myth?",
        ],
        spanish: &["¿El café es malo para el corazón?"],
    },
    Topic {
        key: "palpitations",
        lines: &[
            "When should heart palpitations worry me?",
            "Sometimes my heart skips a beat or flutters, is that normal?",
            "Are palpitations at night something to get checked?",
        ],
        spanish: &[],
    },
    Topic {
        key: "women_symptoms",
        lines: &[
            "Are heart attack symptoms different in women?",
            "What heart attack signs do women tend to miss?",
        ],
        spanish: &["¿Los síntomas de un infarto son diferentes en las mujeres?"],
    },
    Topic {
        key: "aspirin",
        lines: &[
            "Should healthy people take a baby aspirin every day?",
            "Is daily low dose aspirin still recommended to prevent heart attacks?",
        ],
        spanish: &[],
    },
    Topic {
        key: "diet_cholesterol",
        lines: &[
            "What's the best diet for lowering cholesterol naturally?",
            "Can you really lower cholesterol with diet alone?",
            "Are eggs bad for cholesterol or not anymore?",
        ],
        spanish: &[],
    },
    Topic {
        key: "family_history",
        lines: &[
            "If heart disease runs in the family, at what age should screening start?",
            "My dad and uncle both had heart attacks in their 50s, when should I get checked?",
        ],
        spanish: &[],
    },
    Topic {
        key: "smartwatch_afib",
        lines: &[
            "Are smartwatch AFib alerts accurate?",
            "my watch keeps saying irregular rhythm, should I trust it?",
        ],
        spanish: &[],
    },
    Topic {
        key: "stress",
        lines: &["Can stress actually cause a heart attack?", "Is broken heart syndrome a real thing?"],
        spanish: &["¿El estrés puede causar un infarto?"],
    },
    Topic {
        key: "alcohol",
        lines: &[
            "Is a glass of red wine a day good for your heart or is that a myth?",
            "Does alcohol trigger AFib episodes?",
        ],
        spanish: &[],
    },
    Topic {
        key: "sleep_apnea",
        lines: &["Is sleep apnea connected to heart problems?", "can heavy snoring affect your heart?"],
        spanish: &[],
    },
    Topic {
        key: "leg_swelling",
        lines: &[
            "Why do people with heart failure get swollen ankles?",
            "Is swelling in the legs a sign of a heart problem?",
        ],
        spanish: &[],
    },
    Topic {
        key: "tests",
        lines: &[
            "What's the difference between an EKG, an echo and a stress test?",
            "Do I need a coronary calcium score, what does it actually show?",
        ],
        spanish: &[],
    },
    Topic {
        key: "beta_blockers_exercise",
        lines: &[
            "Can you still exercise hard on beta blockers?",
            "why doesn't my heart rate go up much on metoprolol when I work out",
        ],
        spanish: &[],
    },
    Topic {
        key: "stroke_vs_heart_attack",
        lines: &[
            "What are the signs of a stroke vs a heart attack?",
            "How do you tell heart attack symptoms from a stroke?",
        ],
        spanish: &["¿Cuáles son las señales de un infarto?"],
    },
    Topic {
        key: "quit_smoking",
        lines: &[
            "How fast does your heart recover after you quit smoking?",
            "Does vaping hurt your heart as much as cigarettes?",
        ],
        spanish: &[],
    },
];

/// Questions asked once.
pub(crate) const SINGLE_QUESTIONS: &[&str] = &[
    "Is it normal for blood pressure to be higher in the morning?",
    "Can plaque in the arteries be reversed?",
    "How do you tell heartburn from heart pain?",
    "What's the difference between a heart attack and cardiac arrest?",
    "Can high blood pressure cause headaches?",
    "Do fish oil pills actually help the heart?",
    "Does cold weather raise the risk of a heart attack?",
    "Is intermittent fasting safe for heart patients?",
    "What is a normal resting heart rate?",
    "Can kids have high cholesterol?",
    "Does magnesium help with palpitations?",
    "Is walking enough exercise for heart health?",
    "How does diabetes affect the heart?",
    "Are energy drinks dangerous for teenagers' hearts?",
    "What is cardiac rehab and who should do it?",
    "Is a calcium score covered by insurance usually?",
    "Can you have a heart attack and not know it?",
    "What does an ejection fraction number mean?",
    "Are home blood pressure cuffs on the wrist accurate?",
    "Is it safe to fly after a heart procedure?",
    "¿Es normal que la presión suba cuando voy al médico?",
];

/// Casual openings viewers put in front of a question.
pub(crate) const QUESTION_OPENERS: &[&str] = &[
    "",
    "",
    "",
    "",
    "Question: ",
    "Dr. Nguyen, ",
    "Hi! ",
    "Q for the doctor: ",
    "Quick question - ",
    "Doc, ",
];

pub(crate) const GREETINGS: &[&str] = &[
    "Hi from Dayton! 👋",
    "Hello everyone",
    "Good afternoon from Columbus",
    "Hi Dr. Nguyen!",
    "Hello from the 4 West nurses station 😊",
    "Just joined, what did I miss?",
    "Hi all, watching from Cincinnati",
    "Hey! First time catching one of these live",
    "Greetings from northern Kentucky",
    "Hello from Toledo",
    "Hi everyone from Lexington KY",
    "Good afternoon! 🙋‍♀️",
    "Hello from my lunch break 🥪",
    "Hi from the cardiac rehab gang!",
    "Joining from Indianapolis",
    "hi hi",
    "Hello! Can everyone hear ok?",
    "Watching with my husband, hi!",
    "Hello from Springfield",
    "Hi! Love these sessions",
    "Hello from Fort Wayne ❤️",
    "Good to see you again Dr. Nguyen",
    "Hi from a retired cath lab nurse!",
    "Hello from Akron",
    "Hiii 👋👋",
    "Joining late, hi everyone",
    "Hello from Louisville",
    "Hey everyone! Sound is great",
    "Hello from Michigan!",
    "Hi from Erie PA",
    "Hola desde San Antonio 👋",
    "Buenas tardes a todos",
    "Hola doctora, saludos desde Houston",
    "Saludos desde Chicago",
    "Hola! Primera vez aquí",
    "Buenas tardes desde Miami",
];

pub(crate) const CHATTER: &[&str] = &[
    "Great info, thank you!",
    "Can you turn up the volume a bit?",
    "Audio keeps cutting out for me",
    "Very helpful 👏",
    "❤️❤️❤️",
    "So glad I tuned in",
    "Is this being recorded? I have to leave early",
    "Where can I find the slides?",
    "This is so helpful, sharing with my mom",
    "The video froze for me, anyone else?",
    "Thank you for doing these!",
    "Love this format",
    "👏👏👏",
    "Will you do one on diabetes next?",
    "Taking notes 📝",
    "Wow I didn't know that",
    "That's really good to know",
    "My cardiologist told me the same thing",
    "Excellent explanation",
    "Can you repeat that last part?",
    "Screen is frozen",
    "Back now, lost connection",
    "Thank you Dr. Nguyen, you explain things so clearly",
    "Great question!",
    "I've learned so much today",
    "How long does this go?",
    "🙏🙏",
    "Sharing this now",
    "Interesting!",
    "Could you spell the name of that medication?",
    "What was the website you mentioned?",
    "Good reminder to take my walk today 😅",
    "The nurses in cardiac rehab here are the best",
    "Louder please",
    "Very informative, thank you",
    "Making my husband watch this 😂",
    "I wish my doctor explained it like this",
    "Is there a replay link?",
    "Great session so far",
    "Gracias por la información",
    "Muy buena explicación 👏",
    "¿Van a subir el video después?",
    "Excelente doctora",
    "No se escucha bien",
    "Muchas gracias",
];

pub(crate) const GOODBYES: &[&str] = &[
    "Thank you so much, this was great!",
    "Bye everyone, thank you!",
    "Great session, thank you Dr. Nguyen",
    "When is the next one?",
    "Learned a lot today 🙏",
    "Thanks for answering my question!",
    "Have to run, thank you!",
    "Please do more of these",
    "Thank you to the whole team ❤️",
    "Great job everyone",
    "Gracias, bendiciones 🙏",
    "Hasta la próxima, gracias",
    "Thanks! Will share the replay",
    "See you next month!",
];

/// A comment with private details (Safe Harbor identifiers); `advice` when it also asks for
/// individual advice.
pub(crate) struct PhiLine {
    pub(crate) text: &'static str,
    pub(crate) advice: bool,
}

pub(crate) const PHI: &[PhiLine] = &[
    PhiLine {
        text: "Hi this is Margaret Olsen, I had my bypass here on March 3rd and my incision still hurts, is that normal? my cell is 555-0143",
        advice: true,
    },
    PhiLine {
        text: "My husband Robert Diaz (DOB 02/14/1956) was in room 412 on the cardiac floor last week and nobody told us his ejection fraction",
        advice: false,
    },
    PhiLine {
        text: "can someone from the cardiology clinic call me back? 555-0187, it's about my appointment on 6/18",
        advice: false,
    },
    PhiLine { text: "Please email me the slides, jenkins.carol58@example.com", advice: false },
    PhiLine { text: "My MRN is 00482913, can you check if my echo results are in?", advice: false },
    PhiLine {
        text: "I'm Tom Becker, 64, had a stent placed here May 2nd by Dr. Alvarez. When can I stop taking Plavix?",
        advice: true,
    },
    PhiLine {
        text: "My son Jake (16) passed out at basketball practice Tuesday, the ER here said his EKG was fine but should he see a cardiologist?",
        advice: true,
    },
    PhiLine {
        text: "text me at 555-0129 please, I have questions about my mom's pacemaker check on Friday",
        advice: false,
    },
    PhiLine {
        text: "Sign me up for the free heart screening! Linda Park, 1418 Maple Ave, Springfield",
        advice: false,
    },
    PhiLine {
        text: "Soy Rosa Martínez, me operaron del corazón el 12 de enero en este hospital, mi número es 555-0176, ¿me pueden llamar?",
        advice: false,
    },
    PhiLine {
        text: "I was in the cath lab here on 9/14, my insurance member ID is XJH448203911 and they're denying the claim, who do I talk to?",
        advice: false,
    },
    PhiLine { text: "My dad Frank Russo is in the CCU right now, bed 6, is it ok to bring him food from home?", advice: true },
    PhiLine {
        text: "Just emailed my questions to the info line from dkowalski@example.com, name is Dana Kowalski, hope someone reads it",
        advice: false,
    },
    PhiLine {
        text: "Dr please look at my EKG from yesterday, I posted it on my page. Greg Hollis, born 1961",
        advice: true,
    },
    PhiLine {
        text: "Mi esposo Luis Ortega tiene cita el 3 de abril con cardiología, su teléfono es 555-0164, ¿puede llevar sus medicinas?",
        advice: false,
    },
];

/// Instagram viewers mention someone by handle: also an identifier.
pub(crate) const IG_PHI: &[PhiLine] = &[PhiLine {
    text: "@riversideheart my daughter Emily was born with a hole in her heart (ASD), she's 7 now, do kids outgrow it?",
    advice: true,
}];

/// Individual advice requests without identifiers (healthcare-practice §2).
pub(crate) const PERSONAL_ADVICE: &[&str] = &[
    "my BP was 160/100 this morning, should I double my lisinopril?",
    "I take Eliquis, is it ok to take ibuprofen for my knee pain?",
    "My LDL is 190 and my doctor wants me on a statin but I'd rather try diet first, what would you do?",
    "I had a stent in January, is it safe for me to start running again?",
    "My resting heart rate is 48, should I stop my metoprolol?",
    "I've been dizzy since they raised my amlodipine to 10mg, can I cut the pill in half?",
    "My potassium came back 5.6 on my labs, should I stop my spironolactone?",
    "I stopped my statin 2 weeks ago because of leg cramps, is that ok?",
    "I'm 38 weeks pregnant and my BP is 145/92, is that dangerous?",
    "My cardiologist wants me to get an ablation for my AFib, should I get a second opinion?",
    "my watch says my heart rate hits 180 when I jog, I'm 55, should I stop jogging?",
    "I'm 62 and my BP was 158/96 twice this week, should I go up on my meds myself?",
    "Mi presión está en 150/95 y ya tomo losartán, ¿debo tomar otra pastilla?",
    "Tomo warfarina, ¿puedo comer espinacas y brócoli?",
];

/// The one medical emergency, and what other viewers reply to it.
pub(crate) const EMERGENCY: &str =
    "having crushing chest pain right now and my left arm is numb, sweating a lot. what do I do??";
pub(crate) const EMERGENCY_REPLIES: &[&str] =
    &["CALL 911 NOW, don't wait for an answer here!!", "Please call 911 🙏 praying for you"];

/// The one crisis comment: intent, a plan (pills) and a time (tonight): high level (§4.3).
pub(crate) const CRISIS: &str = "honestly whats the point anymore. my heart is failing and I'm a burden to everyone. I've been saving up my pills and I think tonight is the night";

pub(crate) const SPAM: &[&str] = &[
    "🔥Reverse heart disease in 7 days with this one trick🔥 👉 http://heart-cleanse-now.example/offer",
    "I made $4,500 this week trading crypto from home, DM me to learn how 💰💰",
    "Cheap cardio meds, no prescription needed!! www.rx-discount-pharma.example",
    "Follow @keto_heart_miracle for the REAL cure doctors hide",
    "Check my profile for a free gift card 🎁🎁",
    "Big Pharma doesn't want you to know: statins are poison. Watch: https://truth-about-statins.example/video",
    "Gana dinero desde casa 💵 escríbeme por WhatsApp",
    "buy followers cheap 👉 igboost.example",
    "Try CardioClear drops, my BP went from 180 to 110 in 3 days!!! link in bio",
    "👉👉 t.ly/heartfix 👈👈",
    "Hello dear, I am a cardiologist in the US Army, please message me privately 🌹",
    "Win an iPhone 17!! Click the link in my bio before it's gone",
    "This natural supplement cleared my arteries, DM for the name 💊",
    "Earn $300/day working from your phone, ask me how",
];

/// Viewers answering each other (threaded on Facebook, @mentions on Instagram).
pub(crate) const REPLIES: &[&str] = &[
    "Same question here!",
    "+1 I want to know this too",
    "My dad had a stent and was walking the next week, but ask your own doctor",
    "Following",
    "Great question",
    "this 👆",
    "Mine does that too",
    "Thanks for asking, I was wondering the same thing",
    "They answered this near the start, check the replay",
    "My cardiologist said the same",
    "Sending good thoughts your way ❤️",
    "I had the exact same thing last year",
    "Ask about cardiac rehab, it helped me a lot",
    "Sí, yo también quiero saber",
    "Good point",
    "Agreed!",
];

/// Comments posted with a slip and corrected (`edited`). The second of one pair adds a phone
/// number; another turns a general remark into a personal-advice request.
pub(crate) struct EditPair {
    pub(crate) original: &'static str,
    pub(crate) edited: &'static str,
    pub(crate) phi_after: bool,
    pub(crate) advice_after: bool,
}

pub(crate) const EDITS: &[EditPair] = &[
    EditPair {
        original: "can someone call me about my stress test results?",
        edited: "can someone call me about my stress test results? 555-0198",
        phi_after: true,
        advice_after: false,
    },
    EditPair {
        original: "Is coffee bad for your hart?",
        edited: "Is coffee bad for your heart? asking for my wife",
        phi_after: false,
        advice_after: false,
    },
    EditPair {
        original: "whats the best excercise after a stent",
        edited: "what's the best exercise after a stent? EDIT: mine was 3 weeks ago",
        phi_after: false,
        advice_after: true,
    },
    EditPair {
        original: "my bp was 150/90",
        edited: "my bp was 150/90 this morning, is that too high for someone already on meds?",
        phi_after: false,
        advice_after: true,
    },
    EditPair {
        original: "Do statins cause memory loss",
        edited: "Do statins cause memory loss? My mom swears hers did",
        phi_after: false,
        advice_after: false,
    },
    EditPair {
        original: "¿El estrés puede causar un infarto",
        edited: "¿El estrés puede causar un infarto? Gracias doctora",
        phi_after: false,
        advice_after: false,
    },
];

/// Posted twice in a row by the same viewer (a double tap): two comment ids, one question.
pub(crate) const DOUBLE_POSTS: &[&str] =
    &["How long after a heart attack can you drive again?", "Is dark chocolate actually good for the heart?"];

pub(crate) const FIRST_NAMES: &[&str] = &[
    "Linda",
    "Mary",
    "Patricia",
    "Barbara",
    "Susan",
    "Karen",
    "Nancy",
    "Donna",
    "Carol",
    "Sandra",
    "Deborah",
    "Sharon",
    "Cynthia",
    "Kathy",
    "Angela",
    "Brenda",
    "Pamela",
    "Debra",
    "Teresa",
    "Denise",
    "James",
    "Robert",
    "John",
    "Michael",
    "David",
    "William",
    "Richard",
    "Thomas",
    "Charles",
    "Gary",
    "Larry",
    "Dennis",
    "Mark",
    "Steven",
    "Kevin",
    "Tony",
    "Jerome",
    "Darnell",
    "Maria",
    "Rosa",
    "Guadalupe",
    "Carmen",
    "Lucia",
    "Jose",
    "Luis",
    "Miguel",
    "Jorge",
    "Ana",
    "Priya",
    "Anil",
    "Mei",
    "Wei",
    "Fatima",
    "Omar",
    "Aisha",
    "Tyrone",
    "Keisha",
    "Heather",
    "Amber",
    "Josh",
];

pub(crate) const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Garcia",
    "Rodriguez",
    "Wilson",
    "Martinez",
    "Anderson",
    "Taylor",
    "Thomas",
    "Hernandez",
    "Moore",
    "Jackson",
    "Thompson",
    "White",
    "Lopez",
    "Lee",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Patel",
    "Shah",
    "Kowalski",
    "Schmidt",
    "Murphy",
];

/// Instagram handle shapes; `{f}` first name, `{l}` last name, `{n}` two digits.
pub(crate) const HANDLE_SHAPES: &[&str] = &[
    "{f}.{l}",
    "{f}_{l}{n}",
    "{f}{l}",
    "{f}.in.ohio",
    "nurse.{f}",
    "{f}_runs{n}",
    "the.real.{f}",
    "{f}{n}_{l}",
    "grandma.{f}",
    "{f}.cooks",
];

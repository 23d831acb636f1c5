"""The words the engine knows: synonym groups, telling phrases, stopwords and categories.

Kept as Python data (not a data file) so it ships inside the package with no package-data
configuration. Residents describe the same thing in different words ("a lift to the clinic",
"happy to drive"), so each group below names one *concept*; any of its words or phrases in a
post adds that concept to the post's features, and two posts sharing a concept share meaning
even when they share no word.

Phrases are matched before single words, longest first, and a matched phrase stands for its
concept alone: its words do not also count on their own. That is how traps are defused:
"bike lift" is a rack, not a ride; "garden party" is a party, not gardening; "hard drive" is
a computer part, not driving. A word whose meaning depends on its neighbours ("lift") is left
out of the single words and given only through phrases that settle it ("a lift to").

Entries are written as residents write them (British spelling, plurals and verb forms
welcome); `text.py` stems them with the same stemmer as the posts, so "bikes" and "bike"
need not both be listed, though listing both does no harm.
"""

from __future__ import annotations

# concept: (label used in reasons, its words and phrases separated by commas)
CONCEPTS: dict[str, tuple[str, str]] = {
    "ride": (
        "lifts",
        (
            "a lift, lift to, lift into, lift in, lift home, lift back, lift from, give lift, give"
            " you a lift, need a lift, offer lift, lifts available, lift for, lift round, lift"
            " over, lift share, car share, carpool, car pool, drive, driving, driver, drive you,"
            " run you, take you to, drop you, drop off, pick up from, chauffeur, taxi, transport,"
            " passenger, spare seat, seat in my car, a ride, ride to, rides to, give you a ride,"
            " share the ride, ride into, ride home, ride in my car"
        ),
    ),
    "car": ("cars", "car, cars, vehicle, motor, hatchback, estate car"),
    "van": ("vans", "van, transit van, pickup truck, truck, lorry"),
    "bicycle": (
        "bikes",
        (
            "bike, bikes, bicycle, bicycles, cycle, cycles, cycling, cyclist, push bike, pushbike,"
            " mountain bike, road bike, ebike, e-bike"
        ),
    ),
    "bike_carrier": (
        "bike racks",
        (
            "bike lift, bike rack, bike racks, cycle rack, bike carrier, cycle carrier, roof rack,"
            " tow bar, towbar, bike stand, workstand, bike hoist"
        ),
    ),
    "puncture": ("punctures", "puncture, punctures, flat tyre, flat tire, inner tube"),
    "tyre": ("tyres", "tyre, tyres, tire, tires, inner tube"),
    "brakes": ("brakes", "brake, brakes, brake pads"),
    "gears": ("gears", "gear, gears, derailleur, chain, chains"),
    "stairlift": ("stairlifts", "stair lift, stairlift, stair climber"),
    "repair": (
        "repairs",
        (
            "repair, repairs, fix, fixing, fixed, mend, mending, sort out, servicing, service my,"
            " tune up, mechanic, broken, not working, stopped working, faulty"
        ),
    ),
    "diy": (
        "DIY",
        (
            "diy, handyman, handy person, odd jobs, small jobs, put up shelves, shelf, shelves,"
            " curtain pole, curtain rail, hang a picture, picture hooks, drill holes"
        ),
    ),
    "flatpack": (
        "flat-pack assembly",
        (
            "flat pack, flatpack, ikea, self assembly, assemble, assembly, assembling, put"
            " together, putting together"
        ),
    ),
    "plumbing": (
        "plumbing",
        (
            "plumbing, plumber, tap, taps, leak, leaking, leaky, dripping, drip, washer, blocked"
            " sink, blocked drain, toilet, cistern, radiator, bleed radiators"
        ),
    ),
    "electrics": (
        "electrics",
        ("electrician, electrics, electrical, wiring, socket, plug, fuse, light fitting"),
    ),
    "decorating": (
        "decorating",
        (
            "paint, painting, painter, decorate, decorating, decorator, wallpaper, wallpapering,"
            " emulsion, roller, paintbrush, repaint, repainting, redecorate, redecorating, paint"
            " the"
        ),
    ),
    "sewing": (
        "sewing",
        (
            "sew, sewing, sewing machine, stitch, stitching, alteration, alterations, hem, hems,"
            " hemming, take up, taking up, taken up, turn up, zip, zips, darn, darning, patch,"
            " tailor, seamstress"
        ),
    ),
    "knitting": ("knitting", "knit, knitting, crochet, crocheting, yarn, wool"),
    "tools": ("tools", "tool, tools, toolkit, tool kit, toolbox, spanner, screwdriver"),
    "drill": ("drills", "drill, drills, power drill, cordless drill, hammer drill, drill bits"),
    "ladder": ("ladders", "ladder, ladders, step ladder, stepladder, extending ladder"),
    "pressure_washer": (
        "pressure washers",
        ("pressure washer, jet washer, power washer, jetwash, jet wash, karcher"),
    ),
    "saw": ("saws", "saw, saws, jigsaw, circular saw, handsaw, hacksaw"),
    "sander": ("sanders", "sander, sanding, floor sander"),
    "wallpaper_steamer": ("wallpaper steamers", "wallpaper steamer, steamer, stripping wallpaper"),
    "carpet_cleaner": ("carpet cleaners", "carpet cleaner, carpet washer, rug doctor, vax"),
    "lend": (
        "lending",
        ("lend, lending, loan, borrow, borrowing, use of, hire, rent, can borrow, to borrow"),
    ),
    "gardening": (
        "gardening",
        (
            "garden, gardens, gardening, gardener, weeding, weed, weeds, pruning, prune,"
            " overgrown, borders, flower beds, planting, allotment, compost, garden tidy, tidy up"
            " the garden, green fingers, vegetable patch, veg patch, plant pots"
        ),
    ),
    "lawn": (
        "lawns",
        (
            "lawn, lawns, grass, mow, mowing, mower, lawnmower, lawn mower, cut the grass, cut my"
            " grass, grass cutting, strimmer, strimming"
        ),
    ),
    "hedge": ("hedges", "hedge, hedges, hedge trimmer, hedge trimming, shrubs, bushes"),
    "tree": ("trees", "tree, trees, apple tree, branches, tree surgeon"),
    "seeds": ("seeds and plants", "seed, seeds, seedlings, plants, plant swap, plant cuttings"),
    "party": (
        "parties",
        (
            "party, parties, garden party, street party, birthday party, celebration, barbecue,"
            " bbq, fete, get together"
        ),
    ),
    "garden_furniture": ("garden furniture", "garden furniture, garden chairs, patio set, parasol"),
    "tutoring": (
        "tutoring",
        (
            "tutor, tutors, tutoring, tuition, homework, homework help, help with homework,"
            " revision, revise, revising, exam prep, exams, gcse, gcses, a level, a levels, 11"
            " plus, eleven plus, coursework, catch up, struggling at school, teacher, retired"
            " teacher"
        ),
    ),
    "maths": ("maths", "maths, math, mathematics, algebra, arithmetic, times tables, numeracy"),
    "reading": ("reading", "reading, phonics, literacy, read with, learn to read, spelling"),
    "science": ("science", "science, physics, chemistry, biology"),
    "english_language": (
        "English",
        (
            "english, esol, english lessons, english conversation, english language, speak"
            " english, english for"
        ),
    ),
    "spanish": ("Spanish", "spanish, espanol, castellano"),
    "french": ("French", "french, francais"),
    "german": ("German", "german, deutsch"),
    "arabic": ("Arabic", "arabic"),
    "polish": ("Polish", "polish language, speak polish, learn polish, polish lessons"),
    "urdu": ("Urdu", "urdu, punjabi, hindi"),
    "language_practice": (
        "language practice",
        (
            "conversation practice, practise my, practice my, language exchange, conversation,"
            " native speaker, fluent, brush up, speaking practice, learning a language"
        ),
    ),
    "cv": (
        "CVs and job applications",
        (
            "cv, cvs, resume, job application, job applications, cover letter, interview,"
            " interviews, job interview, job hunting, applying for jobs"
        ),
    ),
    "forms": (
        "forms and paperwork",
        (
            "forms, form filling, paperwork, benefits, universal credit, council tax, letters, pip"
            " form, official letters"
        ),
    ),
    "computer": (
        "computers",
        (
            "computer, computers, laptop, laptops, pc, desktop, macbook, mac, chromebook, hard"
            " drive, computer mouse, keyboard, slow computer, virus, it support, tech support, tech"
            " help, windows laptop, windows update, windows 10, windows 11, recover photos, recover"
            " files, recover data, data recovery, lost files"
        ),
    ),
    "phone": (
        "phones",
        (
            "phone, phones, smartphone, iphone, android, tablet, ipad, whatsapp, apps, app, video"
            " call, video calls, facetime, zoom, mobile phone, mobile phones"
        ),
    ),
    "internet": ("internet", "wifi, wi fi, internet, broadband, router, online, emails"),
    "printer": ("printers", "printer, printers, printing, scanner, ink"),
    "tv": ("TVs", "tv, television, telly, freeview, remote control, smart tv"),
    "dog": ("dogs", "dog, dogs, puppy, pup, spaniel, labrador, terrier, greyhound"),
    "dog_walking": (
        "dog walking",
        ("dog walk, dog walking, dog walker, walk my dog, walk the dog, walkies"),
    ),
    "cat": ("cats", "cat, cats, kitten, kittens, moggy"),
    "pet_care": (
        "pet care",
        (
            "pet, pets, pet sitting, pet sitter, cat sitting, cat sitter, dog sitting, dog sitter,"
            " feed my cats, feed the cat, litter, rabbit, rabbits, guinea pig, guinea pigs,"
            " hamster, budgie, chickens, fish tank, look after my, looking after"
        ),
    ),
    "house_sitting": ("house sitting", "house sit, house sitting, house sitter, water the plants"),
    "childcare": (
        "childcare",
        (
            "babysit, babysitting, babysitter, babysitters, childcare, childminder, childminding,"
            " nanny, mind the kids, mind my kids, look after the kids, after school, creche, watch"
            " the kids"
        ),
    ),
    "school_run": (
        "school runs",
        (
            "school run, school runs, school pick up, school pickup, school drop off, pick ups,"
            " collect from school, collect my kids, collect the kids, collect the children, from"
            " school, school collection, pick up the kids, pick my kids up"
        ),
    ),
    "children": (
        "children",
        (
            "child, children, kids, kid, son, daughter, toddler, baby, teenager, teen, year old,"
            " years old, yr old, my little one, little ones"
        ),
    ),
    "baby_kit": (
        "baby things",
        ("pram, buggy, pushchair, cot, car seat, high chair, baby clothes, stair gate"),
    ),
    "toys": ("toys", "toy, toys, lego, board games, jigsaw puzzle, games"),
    "food": (
        "food",
        (
            "food, meal, meals, dinner, dinners, lunch, cook, cooking, cooked, home cooked, batch"
            " cooking, soup, casserole, groceries, food parcel, food bank, surplus food"
        ),
    ),
    "baking": ("baking", "bake, baking, baker, bread, cake, cakes, sourdough, scones"),
    "veg": (
        "fruit and veg",
        (
            "veg, vegetable, vegetables, veggies, fruit, apples, courgette, courgettes, tomatoes,"
            " potatoes, produce, allotment produce, glut"
        ),
    ),
    "eggs": ("eggs", "egg, eggs, free range eggs"),
    "cooking_lessons": (
        "cooking lessons",
        ("teach me to cook, cooking lessons, learn to cook, cookery"),
    ),
    "moving": (
        "moving",
        (
            "move house, moving house, moving flat, move flat, house move, removal, removals,"
            " moving in, moving out, moving day, shift, shifting, carry, carrying, heavy lifting,"
            " heavy things, lift heavy, strong, muscle, pair of hands, manhandle, haul, upstairs,"
            " downstairs, help me move, help to move, move a, move the, man with a van"
        ),
    ),
    "furniture": (
        "furniture",
        (
            "furniture, sofa, settee, couch, wardrobe, wardrobes, mattress, table, chairs, chest"
            " of drawers, drawers, bookcase, desk, cupboard, dresser, fridge, freezer, washing"
            " machine, appliance, appliances, bed frame, single bed, double bed, sofa bed"
        ),
    ),
    "boxes": ("boxes", "boxes, packing boxes, cardboard boxes, packing, bubble wrap"),
    "tip_run": ("tip runs", "tip run, the tip, rubbish, dump, recycling centre, junk, clear out"),
    "company": (
        "company",
        (
            "company, companionship, companion, lonely, loneliness, isolated, a chat, for a chat,"
            " chat with, chat to, chats, cuppa, cup of tea, visit, visits, visiting, friendly face,"
            " befriend, befriending, check in on, pop in, pop round, someone to talk to, natter"
        ),
    ),
    "shopping": (
        "shopping",
        (
            "shopping, do my shop, weekly shop, food shop, groceries, supermarket, errand,"
            " errands, pick up some, get some bits"
        ),
    ),
    "elderly": (
        "older people",
        (
            "elderly, older, pensioner, pensioners, old people, housebound, my mum, my dad,"
            " mother, father, gran, grandma, grandad"
        ),
    ),
    "shielding": (
        "people who are unwell",
        (
            "shielding, unwell, self isolating, recovering, recovery, after an operation, feeling"
            " poorly, operation, hip replacement, knee replacement, convalescing, recuperating,"
            " recover from, recovering from"
        ),
    ),
    "prescription": (
        "prescriptions",
        (
            "prescription, prescriptions, medication, medicine, medicines, chemist, pharmacy,"
            " pharmacist"
        ),
    ),
    "medical": (
        "medical appointments",
        (
            "hospital, clinic, gp, doctor, doctors, surgery, appointment, appointments, dentist,"
            " physio, physiotherapy, outpatients, a and e, vaccination, scan, health centre"
        ),
    ),
    "walking_exercise": (
        "walks",
        ("walking group, walking buddy, walks, walking, ramble, rambling, stroll, hike, hiking"),
    ),
    "exercise": (
        "exercise",
        (
            "exercise, yoga, pilates, stretching, keep fit, jogging, gym, fitness class, fitness"
            " classes, go running, running club, running buddy, keep fit class"
        ),
    ),
    "mobility": (
        "mobility aids",
        ("wheelchair, walking frame, zimmer, crutches, mobility scooter, walking stick, rollator"),
    ),
    "first_aid": ("first aid", "first aid, first aider, cpr, defibrillator, nurse"),
    "mental_health": (
        "wellbeing",
        ("anxiety, anxious, depression, stress, wellbeing, mental health, low mood, listening ear"),
    ),
    "guitar": ("guitar", "guitar, guitars, ukulele, bass guitar, chords"),
    "piano": ("piano", "piano, keyboard lessons, pianist"),
    "music": ("music", "music, musician, singing, sing, choir, band, instrument, violin, drums"),
    "art": (
        "art",
        (
            "art, drawing, draw, sketching, painting class, watercolour, watercolours, pottery,"
            " crafts, craft"
        ),
    ),
    "photography": ("photography", "photo, photos, photography, photographer, camera"),
    "clothes": (
        "clothes",
        (
            "clothes, clothing, coat, coats, jacket, jackets, jumper, jumpers, trousers, jeans,"
            " dress, shoes, boots, school uniform, uniform, winter coat, wellies"
        ),
    ),
    "bedding": ("bedding", "bedding, duvet, duvets, sheets, pillows, blankets, towels, curtains"),
    "kitchenware": (
        "kitchen things",
        (
            "pots, pans, saucepan, crockery, cutlery, plates, mugs, kettle, toaster, microwave,"
            " kitchenware"
        ),
    ),
    "cleaning": (
        "cleaning",
        (
            "clean, cleaning, cleaner, hoover, hoovering, vacuum, vacuuming, tidy, tidying,"
            " declutter, decluttering, ironing, laundry"
        ),
    ),
    "laundry": (
        "laundry",
        (
            "wash cycle, spin cycle, laundrette, tumble dryer, dryer, do my washing, washing and"
            " ironing, wash my clothes"
        ),
    ),
    "books": ("books", "book, books, novels, library, paperbacks"),
    "pests": ("pests", "mice, mouse problem, rats, wasps, wasp nest, pest, pests, slugs"),
    "haircut": (
        "haircuts",
        ("haircut, haircuts, hair cut, cut my hair, hairdresser, barber, trim my hair"),
    ),
    "language": ("languages", "language, languages, bilingual, lessons in, learn a language"),
    "tech": ("tech", "tech, technology, techy, gadget, gadgets, it help, digital skills"),
    "camping": ("camping", "camping, tent, camping gear, sleeping bag, camping stove"),
    "table_tennis": ("table tennis", "table tennis, ping pong"),
    "instrument_tuning": (
        "instrument tuning",
        ("piano tuner, piano tuning, tune my piano, tuning, tuner, piano tuned, guitar tuning"),
    ),
}

# Words too common in neighbourhood posts to tell one post from another, besides English
# function words. Phrases are matched before these are dropped, so "homework help" and
# "a lift" still count. Separated by white space.
STOPWORDS: str = """
    a about above after again against all am an and any anyone anybody are around as at be
    because been before being below between both but by can cannot cant could couldnt did
    didnt do does doesnt doing dont down during each else even ever every few for from
    further get gets getting got had has have having he her here hers herself him himself
    his how i id if ill im in into is isnt it its itself ive just let lets me more most my
    myself no nor not now of off on once only or other our ours ourselves out over own
    please pls same she should so some someone somebody something such than thank thanks
    that thats the their theirs them themselves then there these they this those through
    to too under until up us very was we were what when where which while who whom why
    will with would you your yours yourself yourselves youre youve yes also really quite
    well much many thing things bit bits lot lots maybe perhaps still already soon

    hi hello hey dear folks all everyone neighbour neighbours neighbor neighbors
    help helping helped helper need needs needed needing want wants wanted wanting
    looking look offer offers offering offered available availability happy glad able
    willing free anyone know like love would appreciate appreciated grateful cheers
    asap urgent urgently kind kindly thank message msg dm contact call text ring
    week weeks weekly day days today tomorrow tonight time times sometime month months
    morning mornings afternoon afternoons evening evenings weekend weekends weekday weekdays
    night nights overnight lunchtime lunchtimes
    monday tuesday wednesday thursday friday saturday sunday
    mon tue tues wed thu thur thurs fri sat sun
    new old good great nice small big little one two three couple few several
    make made go going come coming take taking give giving gave use used using
    local nearby near area street road close round corner live living based
"""

# The app's categories and the words a spreadsheet might use for them, so "Transport",
# "lifts" and "transport" all compare equal.
CATEGORIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "tools": ("Tools & equipment", ("tools", "tools & equipment", "equipment", "tool lending")),
    "food": ("Food", ("food", "meals", "cooking")),
    "transport": ("Transport", ("transport", "lifts", "rides", "travel", "driving")),
    "childcare": ("Childcare", ("childcare", "children", "kids", "babysitting")),
    "tutoring": ("Tutoring", ("tutoring", "tuition", "education", "homework", "school")),
    "languages": ("Languages", ("languages", "language", "language exchange")),
    "tech": ("Tech help", ("tech", "tech help", "technology", "computers", "it")),
    "repairs": ("Repairs", ("repairs", "repair", "diy", "fixing", "handyman")),
    "gardening": ("Gardening", ("gardening", "garden", "gardens", "allotment")),
    "pets": ("Pets", ("pets", "pet", "animals", "pet care")),
    "care": (
        "Care & companionship",
        ("care", "care & companionship", "companionship", "befriending"),
    ),
    "moving": ("Moving & lifting", ("moving", "moving & lifting", "removals", "lifting")),
    "household": (
        "Clothing & household",
        ("household", "clothing & household", "clothing", "clothes", "home"),
    ),
    "health": ("Health support", ("health", "health support", "wellbeing", "medical")),
    "arts": ("Arts & music", ("arts", "arts & music", "music", "art", "crafts")),
    "other": ("Other", ("other", "misc", "miscellaneous", "general")),
}

# A concept that implies broader ones: "dog walking" is also about dogs and pet care. Implied
# concepts count for less than ones a post names (see `text.IMPLIED_WEIGHT`).
IMPLIES: dict[str, tuple[str, ...]] = {
    "dog_walking": ("dog", "pet_care"),
    "dog": ("pet_care",),
    "cat": ("pet_care",),
    "school_run": ("childcare", "ride"),
    "puncture": ("tyre", "repair"),
    "brakes": ("repair",),
    "gears": ("repair",),
    "stairlift": ("mobility",),
    "bike_carrier": ("bicycle",),
    "flatpack": ("furniture", "diy"),
    "plumbing": ("diy",),
    "electrics": ("diy",),
    "decorating": ("diy",),
    "drill": ("tools",),
    "ladder": ("tools",),
    "saw": ("tools",),
    "sander": ("tools",),
    "pressure_washer": ("tools",),
    "wallpaper_steamer": ("tools", "decorating"),
    "carpet_cleaner": ("tools", "cleaning"),
    "lawn": ("gardening",),
    "hedge": ("gardening",),
    "tree": ("gardening",),
    "maths": ("tutoring",),
    "science": ("tutoring",),
    "reading": ("tutoring",),
    "spanish": ("language",),
    "french": ("language",),
    "german": ("language",),
    "arabic": ("language",),
    "polish": ("language",),
    "urdu": ("language",),
    "english_language": ("language",),
    "language_practice": ("language",),
    "computer": ("tech",),
    "phone": ("tech",),
    "internet": ("tech",),
    "printer": ("tech",),
    "tv": ("tech",),
    "guitar": ("music",),
    "piano": ("music",),
    "baking": ("food",),
    "veg": ("food",),
    "eggs": ("food",),
    "cooking_lessons": ("food",),
    "van": ("moving",),
    "house_sitting": ("pet_care",),
}

# Phrases that must *not* count as their words ("spare time" is nothing to lend, a "night
# shift" is not moving house), separated by commas.
NEUTRAL_PHRASES: str = (
    "spare time, free time, in my spare time, night shift, night shifts, shift work, shift"
    " pattern, shift patterns, book an appointment, book a slot, get in touch, in touch, drop me a"
    " line, drop me a message, look forward, looking forward, give me a shout, give us a shout, at"
    " the moment, at the minute, thank you"
)

# Two concepts in one post that together mean a third, more specific one, which replaces the
# second: "walk" and "spaniel" in one post is dog walking, not a walking group.
COMBINATIONS: dict[tuple[str, str], str] = {
    ("dog", "walking_exercise"): "dog_walking",
}

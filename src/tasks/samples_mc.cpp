// Built-in sample items of MMLU and ARC (original questions written for jouleval).
#include "tasks/samples.h"

namespace jouleval::tasks::samples {

std::vector<SampleFile> mmlu_test() {
  return {
      {"astronomy_test.csv",
       R"csv(Which planet in the Solar System has the shortest orbital period around the Sun?,Venus,Mercury,Mars,Earth,B
Roughly how long does sunlight take to reach the Earth?,About 8 seconds,About 8 minutes,About 8 hours,About 8 days,B
"A star's colour is mainly an indicator of which of its properties?",Its mass,Its distance from us,Its surface temperature,Its age,C
)csv"},
      {"high_school_mathematics_test.csv",
       R"csv("If 3x + 5 = 20, what is the value of x?",3,5,"15, if x is an integer",25/3,B
"Consider the sequence:
2, 4, 8, 16, ...
What is the ""next"" term?",18,24,32,64,C
What is the sum of the interior angles of a triangle in degrees?,90,180,270,360,B
)csv"},
  };
}

std::vector<SampleFile> mmlu_dev() {
  return {
      {"astronomy_dev.csv",
       R"csv(What is the name of the galaxy that contains the Solar System?,Andromeda,The Milky Way,The Large Magellanic Cloud,Triangulum,B
Which object causes most of the tides in Earth's oceans?,The Sun,Jupiter,The Moon,Venus,C
)csv"},
      {"high_school_mathematics_dev.csv",
       R"csv(What is the value of 7 squared?,14,42,49,77,C
Solve for y: y/4 = 3,7,12,1/12,3/4,B
)csv"},
  };
}

SampleFile arc_test() {
  return {
      "ARC-Challenge-Test.jsonl",
      R"jsonl({"id":"Sample_ARC_1","question":{"stem":"Which tool is best for measuring the mass of a small rock?","choices":[{"text":"a ruler","label":"A"},{"text":"a balance","label":"B"},{"text":"a thermometer","label":"C"},{"text":"a graduated cylinder","label":"D"}]},"answerKey":"B"}
{"id":"Sample_ARC_2","question":{"stem":"A glass of water is left on a sunny windowsill and after a day the water level is lower. Which process best explains this?","choices":[{"text":"condensation","label":"1"},{"text":"evaporation","label":"2"},{"text":"precipitation","label":"3"},{"text":"freezing","label":"4"}]},"answerKey":"2"}
{"id":"Sample_ARC_3","question":{"stem":"Which of these is a renewable source of energy?","choices":[{"text":"coal","label":"A"},{"text":"wind","label":"B"},{"text":"natural gas","label":"C"}]},"answerKey":"B"}
{"id":"Sample_ARC_4","question":{"stem":"Which part of a plant takes in most of the water that the plant uses?","choices":[{"text":"flower","label":"A"},{"text":"leaf","label":"B"},{"text":"stem","label":"C"},{"text":"root","label":"D"},{"text":"seed","label":"E"}]},"answerKey":"D"}
{"id":"Sample_ARC_5","question":{"stem":"Why does a metal spoon feel colder than a wooden spoon when both are at room temperature?","choices":[{"text":"The metal is at a lower temperature.","label":"A"},{"text":"Metal conducts heat away from the hand faster.","label":"B"},{"text":"Wood produces its own heat.","label":"C"},{"text":"Metal reflects more light.","label":"D"}]},"answerKey":"B"}
{"id":"Sample_ARC_6","question":{"stem":"Which change would most reduce the friction a bicycle has to overcome on a paved road?","choices":[{"text":"adding a heavier frame","label":"A"},{"text":"pumping the tires to the right pressure","label":"B"},{"text":"using wider handlebars","label":"C"},{"text":"adding a basket","label":"D"}]},"answerKey":"B"}
)jsonl"};
}

SampleFile arc_train() {
  return {
      "ARC-Challenge-Train.jsonl",
      R"jsonl({"id":"Sample_ARC_T1","question":{"stem":"What do green plants mainly take from the air to make their food?","choices":[{"text":"oxygen","label":"A"},{"text":"nitrogen","label":"B"},{"text":"carbon dioxide","label":"C"},{"text":"helium","label":"D"}]},"answerKey":"C"}
{"id":"Sample_ARC_T2","question":{"stem":"Which unit would a class use to record the temperature of a liquid?","choices":[{"text":"meters","label":"A"},{"text":"degrees Celsius","label":"B"},{"text":"grams","label":"C"},{"text":"liters","label":"D"}]},"answerKey":"B"}
{"id":"Sample_ARC_T3","question":{"stem":"A magnet will most strongly attract which object?","choices":[{"text":"a steel paper clip","label":"1"},{"text":"a plastic cup","label":"2"},{"text":"a glass marble","label":"3"},{"text":"a rubber band","label":"4"}]},"answerKey":"1"}
)jsonl"};
}

}  // namespace jouleval::tasks::samples

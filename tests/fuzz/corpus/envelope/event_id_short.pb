
*
abc"survey.responseê8ÿÿÿÿÿÿÿÿÿBok